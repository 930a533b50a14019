"""Administrators: staff accounts."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from surveyapp.extensions import db
from surveyapp.models import User
from surveyapp.web.access import ADMIN, roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")


@bp.get("/users")
@roles_required(*ADMIN)
def users():
    return render_template("admin/users.html",
                           users=db.session.scalars(sa.select(User).order_by(User.email)))
