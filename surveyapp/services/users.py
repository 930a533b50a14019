"""Staff accounts: creation, password hashing (Argon2id), authentication with a per-account
lockout, the account lifecycle (deactivate, reactivate, role, password reset and change) and the
optional TOTP second factor. Every change is audited."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

from surveyapp.extensions import db
from surveyapp.models import OutboxMessage, PasswordReset, RecoveryCode, Role, User
from surveyapp.models.base import utcnow
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.links import public_url
from surveyapp.services.tokens import new_nonce, sha256

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so timing does not tell which part was wrong.
    Made on first use, not at import: hashing takes a noticeable part of a second, which every
    CLI command would otherwise pay at start-up."""
    return _hasher.hash(secrets.token_hex(16))


#: Recovery codes issued when a second factor is confirmed.
RECOVERY_CODES = 10
#: The placeholder for the reset link in an outbox message (filled in when it is sent).
RESET_LINK_PLACEHOLDER = "{link}"
PASSWORD_RESET_KIND = "password_reset"
ROLES = tuple(r.value for r in Role)


class AccountLocked(Exception):
    """Too many failed log-ins in a row: no attempt is checked before ``until`` (UTC)."""

    def __init__(self, until: datetime) -> None:
        super().__init__(f"locked until {until:%H:%M} UTC")
        self.until = until


class PasswordLoginNotAllowed(Exception):
    """The password was right, but this account's role must sign in with single sign-on."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email)) and len(email) <= 320


def check_new_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(f"The password must be at least {MIN_PASSWORD_LENGTH} characters", field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ServiceError(f"The password must be {MAX_PASSWORD_LENGTH} characters or fewer", field)


def create_user(
    email: str, role: str, password: str | None, *, by: User | None = None, via: str = "admin"
) -> User:
    """A new active account. ``password=None`` makes one that can only use single sign-on."""
    email = normalise_email(email)
    if not valid_email(email):
        raise ServiceError(f"{email!r} is not an email address", "email")
    if role not in ROLES:
        raise ServiceError(f"role must be one of {', '.join(ROLES)}", "role")
    if password is not None:
        check_new_password(password)
    if find_user(email) is not None:
        raise ServiceError(f"a user with the email {email} already exists", "email")
    user = User(
        email=email,
        role=role,
        password_hash=_hasher.hash(password) if password is not None else "",
        session_nonce=secrets.token_hex(8),
    )
    db.session.add(user)
    db.session.flush()
    if via == "admin":
        record("user.create", user=by, target=email, role=role)
    else:
        record("user.create", user=by, target=email, role=role, via=via)
    return user


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def password_login_roles() -> set[str]:
    raw = str(current_app.config.get("PASSWORD_LOGIN_ROLES", ",".join(ROLES)))
    return {part.strip() for part in raw.split(",") if part.strip()}


# --- log in, lockout -------------------------------------------------------------------------
def locked_until(user: User, now: datetime | None = None) -> datetime | None:
    """When the account's lockout ends, or None if it is not locked now."""
    now = now or utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return user.locked_until
    return None


def lockout_seconds(failures: int) -> int:
    """Seconds locked after ``failures`` wrong attempts in a row: none below ``LOCKOUT_AFTER``,
    then ``LOCKOUT_SECONDS`` doubling with each further failure, at most ``LOCKOUT_MAX_SECONDS``."""
    config = current_app.config
    over = failures - int(config["LOCKOUT_AFTER"])
    if over < 0:
        return 0
    return int(
        min(int(config["LOCKOUT_SECONDS"]) * 2 ** min(over, 30), config["LOCKOUT_MAX_SECONDS"])
    )


def register_failure(user: User, *, what: str = "password") -> None:
    """Count a wrong password or code; lock the account when there have been too many."""
    user.failed_logins += 1
    seconds = lockout_seconds(user.failed_logins)
    if seconds:
        user.locked_until = utcnow() + timedelta(seconds=seconds)
        record("user.locked", user=user, failures=user.failed_logins, seconds=seconds, after=what)


def _succeeded(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never says which was wrong).

    Raises :class:`AccountLocked` while the account is locked (the password is not checked
    then, so guessing learns nothing), and :class:`PasswordLoginNotAllowed` when the password is
    right but the account's role must use single sign-on. Wrong passwords count towards the
    lockout; the caller commits either way."""
    user = find_user(email)
    if user is not None and (until := locked_until(user)):
        raise AccountLocked(until)
    try:
        _hasher.verify(
            user.password_hash if user and user.password_hash else _dummy_hash(), password
        )
    except (VerificationError, InvalidHashError):
        if user is not None and user.active:
            register_failure(user)
            if until := locked_until(user):
                raise AccountLocked(until) from None
        return None
    if user is None or not user.active or not user.password_hash:
        return None
    if user.role not in password_login_roles():
        raise PasswordLoginNotAllowed
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    if not user.totp_enabled:
        logged_in(user)
    return user


def logged_in(user: User) -> None:
    """Every check passed: reset the failure count and note the time (``last_login_at``; a
    log-in is not an audit event, the log records changes)."""
    _succeeded(user)
    user.last_login_at = utcnow()


def end_sessions(user: User) -> None:
    """Make every existing session of ``user`` stale (their cookies carry the old nonce)."""
    user.session_nonce = secrets.token_hex(8)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<nonce>"``; a deactivated account has no session."""
    raw_id, _, nonce = user_id.partition(":")
    if not raw_id.isdigit() or int(raw_id) > 2**31 - 1:
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not secrets.compare_digest(user.session_nonce, nonce) or not user.active:
        return None
    return user


# --- lifecycle -------------------------------------------------------------------------------
def _active_admins() -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.active.is_(True))
        )
        or 0
    )


def is_last_active_admin(user: User) -> bool:
    """Whether ``user`` is the only active administrator (demoting or deactivating them would
    leave nobody to manage accounts)."""
    return user.role == Role.ADMIN.value and user.active and _active_admins() <= 1


def _guard_last_admin(user: User, action: str) -> None:
    if is_last_active_admin(user):
        raise ServiceError(
            f"{user.email} is the last active administrator: make another administrator before "
            f"you {action} this account",
            "user",
        )


def deactivate(user: User, *, by: User | None = None) -> None:
    """A leaver: no more log-ins, and every session (and copied cookie) ends now."""
    if not user.active:
        raise ServiceError(f"{user.email} is already deactivated", "user")
    _guard_last_admin(user, "deactivate")
    user.active = False
    end_sessions(user)
    record("user.deactivate", user=by, target=user.email)


def reactivate(user: User, *, by: User | None = None) -> None:
    """Let the account log in again. The nonce changes again, so no session from before the
    deactivation (nor a cookie copied then) comes back to life; the lockout is cleared."""
    if user.active:
        raise ServiceError(f"{user.email} is already active", "user")
    user.active = True
    end_sessions(user)
    _succeeded(user)
    record("user.reactivate", user=by, target=user.email)


def set_role(user: User, role: str, *, by: User | None = None) -> None:
    if role not in ROLES:
        raise ServiceError(f"role must be one of {', '.join(ROLES)}", "role")
    if role == user.role:
        raise ServiceError(f"{user.email} is already {role}", "role")
    if role != Role.ADMIN.value:
        _guard_last_admin(user, "demote")
    record("user.role", user=by, target=user.email, old=user.role, new=role)
    user.role = role


def check_password(user: User, current: str) -> None:
    """Ask again for the password before a sensitive change; a wrong one counts towards the
    lockout (someone at an unlocked computer)."""
    if until := locked_until(user):
        raise ServiceError(_locked_text(until), "current_password")
    try:
        _hasher.verify(user.password_hash or _dummy_hash(), current)
    except (VerificationError, InvalidHashError):
        register_failure(user)
        raise ServiceError("Your current password is not right", "current_password") from None


def _locked_text(until: datetime) -> str:
    return f"Too many wrong attempts: try again after {until:%H:%M} UTC"


def change_password(user: User, current: str, new: str) -> None:
    """Self-service: the current password is needed. Every other session ends."""
    check_password(user, current)
    check_new_password(new, "new_password")
    user.password_hash = _hasher.hash(new)
    end_sessions(user)
    record("user.password_change", user=user)


# --- password reset links --------------------------------------------------------------------
def _reset_token(nonce: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, b"password-reset:" + nonce.encode(), hashlib.sha256).hexdigest()
    return digest


def password_reset_link(reset: PasswordReset) -> str:
    return public_url("auth.reset_password", token=_reset_token(reset.nonce))


def issue_password_reset(user: User, *, by: User | None = None) -> PasswordReset:
    """Queue an email with a single-use link to set a new password; earlier links stop
    working. The outbox holds a placeholder, the link is made when the email is sent."""
    if not user.active:
        raise ServiceError(f"{user.email} is deactivated: reactivate the account first", "user")
    now = utcnow()
    db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.user_id == user.id, PasswordReset.used_at.is_(None))
        .values(used_at=now)
    )
    hours = int(current_app.config["PASSWORD_RESET_HOURS"])
    nonce = new_nonce()
    council = current_app.config["COUNCIL_NAME"]
    message = OutboxMessage(
        kind=PASSWORD_RESET_KIND,
        round_id=None,
        to_addr=user.email,
        subject=f"{council}: set a new password for the partner survey",
        body_text=(
            f"An administrator asked for a new password to be set for your account "
            f"({user.email}).\n\nChoose your new password here (the link works once, for "
            f"{hours} hours):\n{RESET_LINK_PLACEHOLDER}\n\nIf you did not expect this, tell "
            f"your administrator."
        ),
        body_html="",
    )
    db.session.add(message)
    db.session.flush()
    reset = PasswordReset(
        user_id=user.id,
        nonce=nonce,
        token_hash=sha256(_reset_token(nonce)),
        outbox_id=message.id,
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.session.add(reset)
    db.session.flush()
    record("user.password_reset_issue", user=by, target=user.email, hours=hours)
    return reset


def reset_link_for_message(message: OutboxMessage) -> str:
    """The reset link an outbox message carries (made now, never stored)."""
    reset = db.session.scalar(sa.select(PasswordReset).where(PasswordReset.outbox_id == message.id))
    if reset is None or reset.used_at is not None:
        raise LookupError("the password reset link was replaced or used")
    return password_reset_link(reset)


def find_password_reset(token: str) -> PasswordReset | None:
    """The usable reset for this link's token: not used, not expired, account active."""
    if not re.fullmatch(r"[0-9a-f]{64}", token):
        return None
    reset = db.session.scalar(
        sa.select(PasswordReset).where(PasswordReset.token_hash == sha256(token))
    )
    if reset is None or reset.used_at is not None or reset.expires_at <= utcnow():
        return None
    user = db.session.get(User, reset.user_id)
    if user is None or not user.active:
        return None
    return reset


def complete_password_reset(reset: PasswordReset, password: str) -> User:
    check_new_password(password)
    user = db.session.get(User, reset.user_id)
    assert user is not None
    claimed = db.session.execute(
        sa.update(PasswordReset)
        .where(PasswordReset.id == reset.id, PasswordReset.used_at.is_(None))
        .values(used_at=utcnow())
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise ServiceError("This link has already been used", "password")
    user.password_hash = _hasher.hash(password)
    _succeeded(user)
    end_sessions(user)
    record("user.password_reset", user=user)
    return user


# --- TOTP second factor ----------------------------------------------------------------------
def start_totp(user: User) -> str:
    """A new secret to enrol (not required until confirmed with a code)."""
    if user.totp_enabled:
        raise ServiceError("A second factor is already set up; turn it off first", "code")
    user.totp_secret = pyotp.random_base32()
    return user.totp_secret


def totp_uri(user: User) -> str:
    assert user.totp_secret
    issuer = f"{current_app.config['COUNCIL_NAME']} surveys"
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.email, issuer_name=issuer)


def _digits(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "")


def _totp_step(user: User, code: str, now: datetime | None = None) -> int | None:
    """The time step ``code`` belongs to (this one, or one either side for clock drift)."""
    if not user.totp_secret or not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(user.totp_secret)
    current = totp.timecode(now or datetime.now())
    for step in (current, current - 1, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [
        f"{secrets.token_hex(5)[:5]}-{secrets.token_hex(5)[:5]}" for _ in range(RECOVERY_CODES)
    ]
    for code in codes:
        db.session.add(RecoveryCode(user_id=user.id, code_hash=sha256(_digits(code))))
    return codes


def confirm_totp(user: User, code: str) -> list[str]:
    """Turn the second factor on once a code from the app matches; returns the recovery codes
    (shown once, stored hashed)."""
    step = _totp_step(user, _digits(code))
    if user.totp_enabled or step is None:
        raise ServiceError("That code is not right: enter the 6 digits your app shows now", "code")
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record("user.totp_enable", user=user)
    return codes


def disable_totp(user: User, *, by: User | None = None) -> None:
    """Turn the second factor off (by the user, or reset by an administrator)."""
    if user.totp_secret is None:
        raise ServiceError(f"{user.email} has no second factor", "user")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if by is None or by.id == user.id:
        record("user.totp_disable", user=user)
    else:
        record("user.totp_reset", user=by, target=user.email)


def unused_recovery_codes(user: User) -> int:
    return (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def verify_second_factor(user: User, code: str) -> bool:
    """A current TOTP code (each used once) or an unused recovery code. Failures count towards
    the lockout; raises :class:`AccountLocked` while locked."""
    if until := locked_until(user):
        raise AccountLocked(until)
    code = _digits(code).lower()
    step = _totp_step(user, code)
    if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
        user.totp_last_step = step
        logged_in(user)
        return True
    if step is None and re.fullmatch(r"[0-9a-f]{10}", code):
        used = db.session.execute(
            sa.update(RecoveryCode)
            .where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == sha256(code),
                RecoveryCode.used_at.is_(None),
            )
            .values(used_at=utcnow())
        )
        if used.rowcount == 1:  # type: ignore[attr-defined]
            logged_in(user)
            return True
    register_failure(user, what="second factor")
    if until := locked_until(user):
        raise AccountLocked(until)
    return False


def user_by_id(user_id: int) -> User | None:
    if not 0 < user_id <= 2**31 - 1:
        return None
    return db.session.get(User, user_id)
