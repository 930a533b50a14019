"""Administrators: staff accounts and the audit log."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Round, User
from surveyapp.services import ServiceError
from surveyapp.services.users import MIN_PASSWORD_LENGTH, create_user
from surveyapp.web import DB_INT_MAX
from surveyapp.web.access import ADMIN, roles_required
from surveyapp.web.admin.forms import NewUserForm
from surveyapp.web.rounds.forms import show_service_error

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

AUDIT_PAGE_SIZE = 50


@bp.route("/users", methods=["GET", "POST"])
@roles_required(*ADMIN)
def users():
    form = NewUserForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                user = create_user(form.email.data, form.role.data, form.password.data,
                                   by=current_user)
            except ServiceError as exc:
                db.session.rollback()
                show_service_error(form, exc)
            else:
                db.session.commit()
                flash(f"Account created for {user.email} ({user.role}). Give them the first "
                      f"password in person or by phone, not by email.")
                return redirect(url_for("admin.users"))
        status = 400
    return render_template("admin/users.html", form=form, min_password=MIN_PASSWORD_LENGTH,
                           users=db.session.scalars(sa.select(User).order_by(User.email))), status


@bp.get("/audit")
@roles_required(*ADMIN)
def audit():
    """Every recorded staff action, newest first, 50 to a page."""
    page = request.args.get("page", 1, type=int) or 1
    page = min(max(page, 1), DB_INT_MAX // AUDIT_PAGE_SIZE)
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    round_id = request.args.get("round", type=int)
    if round_id is not None and not 0 < round_id <= DB_INT_MAX:
        abort(404)
    if round_id is not None:
        query = query.where(AuditEvent.round_id == round_id)
    events = db.session.scalars(query.offset((page - 1) * AUDIT_PAGE_SIZE)
                                .limit(AUDIT_PAGE_SIZE + 1)).all()
    titles = dict(db.session.execute(sa.select(Round.id, Round.title).where(
        Round.id.in_({e.round_id for e in events if e.round_id}))).all())
    return render_template("admin/audit.html", events=events[:AUDIT_PAGE_SIZE], page=page,
                           has_next=len(events) > AUDIT_PAGE_SIZE, titles=titles,
                           round_id=round_id)
