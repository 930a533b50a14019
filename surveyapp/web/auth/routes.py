"""Staff log in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from surveyapp.extensions import db, limiter, login_manager
from surveyapp.services.users import authenticate, end_sessions, load_user
from surveyapp.web.auth.forms import LoginForm

bp = Blueprint("auth", __name__, template_folder="templates")

login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see that page."
login_manager.session_protection = "strong"
login_manager.user_loader(load_user)


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


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_rate_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("rounds.index"))
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is not None:
            db.session.commit()
            next_url = _safe_next(request.args.get("next"))
            session.clear()  # no session fixation: a fresh session on log in
            login_user(user)
            return redirect(next_url or url_for("rounds.index"))
        error = "The email address or password is not right."
    status = 200 if error is None and not form.errors else 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out, and end every copy of this user's session: sessions live in signed cookies, so a
    copied cookie would otherwise still work until it expires; changing the user's session nonce
    makes all of them stale (other devices are logged out too)."""
    if current_user.is_authenticated:
        end_sessions(current_user)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You have logged out.")
    return redirect(url_for("auth.login"))
