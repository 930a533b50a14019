"""Administrators' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from surveyapp.models import Role


class NewUserForm(FlaskForm):
    email = EmailField(
        "Email address", validators=[DataRequired("Enter an email address"), Length(max=320)]
    )
    role = SelectField(
        "Role",
        choices=[
            SelectChoice(Role.LEAD.value, "Early-help lead: runs rounds"),
            SelectChoice(Role.MANAGER.value, "Manager: reads reports"),
            SelectChoice(Role.ADMIN.value, "Administrator: accounts and everything else"),
        ],
        validators=[DataRequired("Choose a role")],
    )
    password = PasswordField(
        "First password", validators=[DataRequired("Enter a first password"), Length(max=1000)]
    )


class EraseRoundForm(FlaskForm):
    confirm_title = StringField(
        "Type the round's title to confirm",
        validators=[DataRequired("Type the round's title to confirm"), Length(max=400)],
    )


class SubjectAccessForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter the email address to search for"), Length(max=320)],
    )
    reference = StringField(
        "Case reference (optional)",
        validators=[
            Optional(),
            Length(max=60, message="The case reference must be 60 characters or fewer"),
        ],
    )
    #: Which button was pressed: show on the page, or download.
    format = SelectField(
        choices=[
            SelectChoice("html", "Show"),
            SelectChoice("json", "JSON"),
            SelectChoice("csv", "CSV"),
        ],
        default="html",
        validate_choice=True,
    )


class RoleForm(FlaskForm):
    role = SelectField(
        "Role",
        choices=NewUserForm.role.kwargs["choices"],
        validators=[DataRequired("Choose a role")],
    )
