"""Administrators' forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from surveyapp.models import Role


class NewUserForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter an email address"),
                                                    Length(max=320)])
    role = SelectField("Role", choices=[
        SelectChoice(Role.LEAD.value, "Early-help lead: runs rounds"),
        SelectChoice(Role.MANAGER.value, "Manager: reads reports"),
        SelectChoice(Role.ADMIN.value, "Administrator: accounts and everything else")],
                       validators=[DataRequired("Choose a role")])
    password = PasswordField("First password", validators=[DataRequired("Enter a first password"),
                                                           Length(max=1000)])
