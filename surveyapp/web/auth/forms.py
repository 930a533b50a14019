from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class LoginForm(FlaskForm):
    email = EmailField(
        "Email address", validators=[DataRequired("Enter your email address"), Length(max=320)]
    )
    password = PasswordField(
        "Password", validators=[DataRequired("Enter your password"), Length(max=1000)]
    )


class CodeForm(FlaskForm):
    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter the 6-digit code from your app, or a recovery code"),
            Length(max=20, message="Enter the 6-digit code from your app, or a recovery code"),
        ],
    )


class NewPasswordForm(FlaskForm):
    password = PasswordField(
        "New password", validators=[DataRequired("Enter a new password"), Length(max=1000)]
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("password", "The two new passwords are not the same"),
        ],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password"), Length(max=1000)],
    )
    new_password = PasswordField(
        "New password", validators=[DataRequired("Enter a new password"), Length(max=1000)]
    )
    confirm = PasswordField(
        "New password again",
        validators=[
            DataRequired("Enter the new password again"),
            EqualTo("new_password", "The two new passwords are not the same"),
        ],
    )


class DisableTwoFactorForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired("Enter your current password"), Length(max=1000)],
    )
