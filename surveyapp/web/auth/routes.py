"""Staff log in and out, the second factor, password resets, a user's own account page, and the
limits on a staff session (idle timeout and absolute lifetime)."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user

from surveyapp import timeutil
from surveyapp.extensions import db, limiter, login_manager
from surveyapp.models import User
from surveyapp.services import ServiceError
from surveyapp.services import users as svc
from surveyapp.services.qr import qr_svg_inline
from surveyapp.web.auth.forms import (
    ChangePasswordForm,
    CodeForm,
    DisableTwoFactorForm,
    LoginForm,
    NewPasswordForm,
)
from surveyapp.web.rounds.forms import show_service_error

bp = Blueprint("auth", __name__, template_folder="templates")

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.session_protection = "strong"
login_manager.user_loader(svc.load_user)

#: Session keys: when the staff member logged in, and when they were last seen (epoch seconds).
LOGIN_AT, SEEN_AT = "staff_login_at", "staff_seen_at"
#: A password accepted, waiting for the second factor: user id, nonce, time, next page.
PENDING = "pending_second_factor"
#: Minutes to enter the second factor after the password.
PENDING_MINUTES = 5
#: Seen-at is rewritten at most this often (each rewrite sends a new cookie).
SEEN_RESOLUTION = 30


def _now() -> float:
    """Seconds since the epoch (a function, so tests can move the clock)."""
    return time.time()


def _safe_next(target: str | None) -> str | None:
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_rate_limit() -> str:
    """Log-in attempts per client address (``LOGIN_RATE_LIMIT``), against password guessing."""
    return current_app.config["LOGIN_RATE_LIMIT"]


def start_staff_session(user: User, next_url: str | None = None) -> ResponseReturnValue:
    """A fresh session (no fixation) that is never permanent, with its clock started."""
    session.clear()
    login_user(user)
    now = _now()
    session[LOGIN_AT] = now
    session[SEEN_AT] = now
    return redirect(next_url or url_for("rounds.index"))


@bp.before_app_request
def _staff_session_limits() -> None:
    """End a staff session idle for ``STAFF_IDLE_MINUTES`` or older than
    ``STAFF_SESSION_HOURS`` (checked on the server, so a kept or copied cookie does not help)."""
    if "_user_id" not in session or request.endpoint == "static":
        return
    now = _now()
    config = current_app.config
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(login_at, int | float) or not isinstance(seen_at, int | float):
        expired = "Please log in again."
    elif now - login_at > int(config["STAFF_SESSION_HOURS"]) * 3600:
        expired = f"You have been logged out after {config['STAFF_SESSION_HOURS']} hours."
    elif now - seen_at > int(config["STAFF_IDLE_MINUTES"]) * 60:
        expired = (
            f"You have been logged out after {config['STAFF_IDLE_MINUTES']} minutes without "
            f"activity."
        )
    else:
        if now - seen_at >= SEEN_RESOLUTION:
            session[SEEN_AT] = now
        return
    logout_user()
    session.pop(LOGIN_AT, None)
    session.pop(SEEN_AT, None)
    flash(expired)


def _locked_message(until_utc: object) -> str:
    return (
        "This account is locked after too many failed attempts. Try again after "
        f"{timeutil.format_datetime(until_utc)}, or ask an administrator to send you a "  # type: ignore[arg-type]
        "password reset link."
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("rounds.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        next_url = _safe_next(request.args.get("next"))
        try:
            user = svc.authenticate(form.email.data or "", form.password.data or "")
        except svc.AccountLocked as locked:
            db.session.commit()
            error = _locked_message(locked.until)
        except svc.PasswordLoginNotAllowed:
            db.session.rollback()
            error = (
                "Your account signs in with "
                f"{current_app.config['OIDC_PROVIDER_NAME']}: use the button below."
            )
        else:
            db.session.commit()
            if user is not None and user.totp_enabled:
                session.clear()
                session[PENDING] = {
                    "id": user.id,
                    "nonce": user.session_nonce,
                    "at": _now(),
                    "next": next_url,
                }
                return redirect(url_for("auth.second_factor"))
            if user is not None:
                return start_staff_session(user, next_url)
            error = "The email address or password is not right."
    status = 200 if error is None and not form.errors else 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=error), status


def _pending_user() -> tuple[User, str | None] | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if _now() - float(pending.get("at", 0)) > PENDING_MINUTES * 60:
        return None
    user = svc.user_by_id(int(pending.get("id", 0)))
    if user is None or not user.active or user.session_nonce != pending.get("nonce"):
        return None
    return user, pending.get("next")


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def second_factor() -> ResponseReturnValue:
    """The second step of logging in for accounts with a second factor."""
    found = _pending_user()
    if found is None:
        session.pop(PENDING, None)
        flash("Please log in again.")
        return redirect(url_for("auth.login"))
    user, next_url = found
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        try:
            ok = svc.verify_second_factor(user, form.code.data or "")
        except svc.AccountLocked as locked:
            ok, error = False, _locked_message(locked.until)
        db.session.commit()
        if ok:
            return start_staff_session(user, next_url)
        error = error or "That code is not right. Enter the code your app shows now."
    status = 400 if request.method == "POST" else 200
    return render_template("auth/second_factor.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    """Log out, and end every copy of this user's session: sessions live in signed cookies, so a
    copied cookie would otherwise still work until it expires; changing the user's session nonce
    makes all of them stale (other devices are logged out too)."""
    if current_user.is_authenticated:
        svc.end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("auth.login"))


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def reset_password(token: str) -> ResponseReturnValue:
    """Set a new password from an administrator's single-use link."""
    reset = svc.find_password_reset(token)
    if reset is None:
        return render_template("auth/reset_invalid.html"), 404
    form = NewPasswordForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                svc.complete_password_reset(reset, form.password.data or "")
            except ServiceError as exc:
                db.session.rollback()
                show_service_error(form, exc)
            else:
                db.session.commit()
                if current_user.is_authenticated:
                    logout_user()
                session.clear()
                flash("Your new password is set. Log in with it now.")
                return redirect(url_for("auth.login"))
        status = 400
    return render_template(
        "auth/reset_password.html", form=form, min_password=svc.MIN_PASSWORD_LENGTH
    ), status


# --- the signed-in user's own account ----------------------------------------------------------
@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> ResponseReturnValue:
    """Change your own password (the current one is needed); see your second factor."""
    form = ChangePasswordForm()
    status = 200
    if request.method == "POST":
        if not current_user.password_hash:
            abort(400, "Your account signs in with single sign-on and has no password here.")
        if form.validate():
            try:
                svc.change_password(
                    current_user, form.current_password.data or "", form.new_password.data or ""
                )
            except ServiceError as exc:
                db.session.commit()  # a wrong current password counts towards the lockout
                show_service_error(form, exc)
            else:
                db.session.commit()
                user = current_user._get_current_object()
                response = start_staff_session(user, url_for("auth.account"))
                flash("Your password has been changed. Other devices have been logged out.")
                return response
        status = 400
    return render_template(
        "auth/account.html",
        form=form,
        min_password=svc.MIN_PASSWORD_LENGTH,
        recovery_left=svc.unused_recovery_codes(current_user),
    ), status


@bp.route("/account/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup() -> ResponseReturnValue:
    """Enrol an authenticator app: scan the QR code, then confirm with a code."""
    if current_user.totp_enabled or not current_user.password_hash:
        return redirect(url_for("auth.account"))  # single sign-on: the provider's business
    form = CodeForm()
    status = 200
    if request.method == "GET" or not current_user.totp_secret:
        svc.start_totp(current_user)
        db.session.commit()
    elif form.validate():
        try:
            codes = svc.confirm_totp(current_user, form.code.data or "")
        except ServiceError as exc:
            db.session.rollback()
            show_service_error(form, exc)
        else:
            db.session.commit()
            return render_template("auth/recovery_codes.html", codes=codes)
        status = 400
    else:
        status = 400
    uri = svc.totp_uri(current_user)
    return render_template(
        "auth/two_factor_setup.html",
        form=form,
        qr=qr_svg_inline(uri, label="QR code to add this account to your authenticator app"),
        secret=current_user.totp_secret,
    ), status


@bp.route("/account/two-factor/disable", methods=["POST"])
@login_required
def two_factor_disable() -> ResponseReturnValue:
    """Turn your second factor off (your password is needed)."""
    form = DisableTwoFactorForm()
    if not current_user.totp_enabled:
        return redirect(url_for("auth.account"))
    if form.validate():
        try:
            svc.check_password(current_user, form.current_password.data or "")
            svc.disable_totp(current_user, by=current_user)
        except ServiceError as exc:
            db.session.commit()
            flash(exc.message)
            return redirect(url_for("auth.account"), 303)
        db.session.commit()
        flash("Your second factor is off. You can set it up again at any time.")
    else:
        flash("Enter your current password to turn the second factor off.")
    return redirect(url_for("auth.account"), 303)


# Single sign-on's routes join this blueprint; its provider is set up per app.
from surveyapp.web.auth import sso as _sso  # noqa: E402

bp.record_once(lambda state: _sso.init_sso(state.app))
