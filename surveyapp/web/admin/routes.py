"""Administrators: staff accounts, the audit log and data protection (retention, erasing a
round, subject-access requests)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Round, User
from surveyapp.services import ServiceError
from surveyapp.services import dataprotection as dp
from surveyapp.services import users as user_svc
from surveyapp.services.mail import deliver_now
from surveyapp.services.users import MIN_PASSWORD_LENGTH, create_user
from surveyapp.web import DB_INT_MAX
from surveyapp.web.access import ADMIN, roles_required
from surveyapp.web.admin.forms import EraseRoundForm, NewUserForm, RoleForm, SubjectAccessForm
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
                user = create_user(
                    form.email.data, form.role.data, form.password.data, by=current_user
                )
            except ServiceError as exc:
                db.session.rollback()
                show_service_error(form, exc)
            else:
                db.session.commit()
                flash(
                    f"Account created for {user.email} ({user.role}). Give them the first "
                    f"password in person or by phone, not by email."
                )
                return redirect(url_for("admin.users"))
        status = 400
    return render_template(
        "admin/users.html",
        form=form,
        min_password=MIN_PASSWORD_LENGTH,
        users=db.session.scalars(sa.select(User).order_by(User.email)),
    ), status


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/users/<int:user_id>")
@roles_required(*ADMIN)
def user(user_id: int) -> ResponseReturnValue:
    """One account: its state, and the actions on it."""
    account = _user_or_404(user_id)
    form = RoleForm(role=account.role)
    return render_template(
        "admin/user.html",
        account=account,
        form=form,
        locked_until=user_svc.locked_until(account),
        recovery_left=user_svc.unused_recovery_codes(account),
    )


def _account_action(user_id: int, action: str) -> ResponseReturnValue:
    """Apply one lifecycle action to an account, commit once, and say what happened."""
    account = _user_or_404(user_id)
    try:
        if action == "role":
            form = RoleForm()
            if not form.validate():
                raise ServiceError(next(iter(form.errors.values()))[0], "role")
            user_svc.set_role(account, form.role.data or "", by=current_user)
            done = f"{account.email} is now {account.role}."
        elif action == "deactivate":
            user_svc.deactivate(account, by=current_user)
            done = f"{account.email} is deactivated and logged out everywhere."
        elif action == "reactivate":
            user_svc.reactivate(account, by=current_user)
            done = f"{account.email} can log in again (earlier sessions stay ended)."
        elif action == "reset_password":
            reset = user_svc.issue_password_reset(account, by=current_user)
            outbox_id = reset.outbox_id
            done = ""
        elif action == "reset_totp":
            user_svc.disable_totp(account, by=current_user)
            done = f"{account.email}'s second factor is off; they can set it up again."
        else:  # pragma: no cover - the routes name the actions
            abort(404)
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message[:1].upper() + exc.message[1:], "error")
        return redirect(url_for("admin.user", user_id=user_id), 303)
    db.session.commit()
    if action == "reset_password":
        assert outbox_id is not None
        outcome = deliver_now(outbox_id, db.session.commit)
        done = (
            f"A password reset link has been emailed to {account.email}. It works once, for "
            f"{current_app.config['PASSWORD_RESET_HOURS']} hours."
            if outcome == "sent"
            else f"The reset email to {account.email} could not be sent yet; it will be "
            f"retried by the mail job."
        )
    flash(done)
    return redirect(url_for("admin.user", user_id=user_id), 303)


@bp.post("/users/<int:user_id>/role")
@roles_required(*ADMIN)
def user_role(user_id: int) -> ResponseReturnValue:
    return _account_action(user_id, "role")


@bp.post("/users/<int:user_id>/deactivate")
@roles_required(*ADMIN)
def user_deactivate(user_id: int) -> ResponseReturnValue:
    return _account_action(user_id, "deactivate")


@bp.post("/users/<int:user_id>/reactivate")
@roles_required(*ADMIN)
def user_reactivate(user_id: int) -> ResponseReturnValue:
    return _account_action(user_id, "reactivate")


@bp.post("/users/<int:user_id>/reset-password")
@roles_required(*ADMIN)
def user_reset_password(user_id: int) -> ResponseReturnValue:
    return _account_action(user_id, "reset_password")


@bp.post("/users/<int:user_id>/reset-two-factor")
@roles_required(*ADMIN)
def user_reset_totp(user_id: int) -> ResponseReturnValue:
    return _account_action(user_id, "reset_totp")


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
    events = db.session.scalars(
        query.offset((page - 1) * AUDIT_PAGE_SIZE).limit(AUDIT_PAGE_SIZE + 1)
    ).all()
    titles = dict(
        db.session.execute(
            sa.select(Round.id, Round.title).where(
                Round.id.in_({e.round_id for e in events if e.round_id})
            )
        ).all()
    )
    return render_template(
        "admin/audit.html",
        events=events[:AUDIT_PAGE_SIZE],
        page=page,
        has_next=len(events) > AUDIT_PAGE_SIZE,
        titles=titles,
        round_id=round_id,
    )


# --- data protection -------------------------------------------------------------------------
bp.app_template_global("email_retention")(dp.email_retention)


def _no_store(response: Response) -> Response:
    """Pages and files holding personal data are not kept by browsers or proxies."""
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/data-protection")
@roles_required(*ADMIN)
def data_protection():
    """What is held, the retention setting, each round's emails, and the ways to erase."""
    return render_template(
        "admin/data_protection.html", rows=dp.retention_overview(), days=dp.retention_days()
    )


@bp.route("/rounds/<int:round_id>/erase", methods=["GET", "POST"])
@roles_required(*ADMIN)
def erase_round(round_id: int):
    """Erase a round and everything of it, once its title has been typed to confirm."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        abort(404)
    form = EraseRoundForm()
    status = 200
    if request.method == "POST":
        if form.validate() and dp.title_confirmed(round_, form.confirm_title.data):
            title = round_.title
            dp.erase_round(round_, by=current_user)
            db.session.commit()
            flash(f"Round {round_id}, “{title}”, has been erased with everything of it.")
            return redirect(url_for("admin.data_protection"))
        if not form.confirm_title.errors:
            form.confirm_title.errors = [
                "What you typed is not the round's title, so nothing was erased"
            ]
        status = 400
    return render_template(
        "admin/erase_round.html", round=round_, form=form, contents=dp.round_contents(round_)
    ), status


@bp.route("/subject-access", methods=["GET", "POST"])
@roles_required(*ADMIN)
def subject_access():
    """Find everything held about an email address; show it or download it (JSON or CSV)."""
    form = SubjectAccessForm()
    found = None
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                found = dp.subject_access(
                    form.email.data,
                    fmt=form.format.data,
                    reference=form.reference.data,
                    by=current_user,
                )
            except ServiceError as exc:
                db.session.rollback()
                show_service_error(form, exc)
            else:
                db.session.commit()
                if form.format.data in ("json", "csv"):
                    return _no_store(_download(found, form.format.data))
        if found is None:
            status = 400
    return _no_store(
        make_response(
            render_template(
                "admin/subject_access.html",
                form=form,
                found=found,
                note=dp.ANONYMITY_NOTE,
                max_reference=dp.MAX_REFERENCE_LENGTH,
            ),
            status,
        )
    )


def _download(found: dp.SubjectAccess, fmt: str) -> Response:
    stamp = f"{found.exported_at:%Y-%m-%d-%H%M%S}"
    if fmt == "json":
        body, mimetype = dp.subject_access_json(found).encode(), "application/json"
    else:
        body, mimetype = dp.subject_access_csv(found).encode("utf-8-sig"), "text/csv"
    response = make_response(body)
    response.mimetype = mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="subject-access-{stamp}.{fmt}"'
    return response
