"""Staff accounts: creation, password hashing (Argon2id) and authentication."""

from __future__ import annotations

import re
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from surveyapp.extensions import db
from surveyapp.models import Role, User
from surveyapp.models.base import utcnow
from surveyapp.services import ServiceError
from surveyapp.services.audit import record

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
#: Verified against when the email is unknown, so timing does not tell which part was wrong.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def normalise_email(email: str) -> str:
    return email.strip().lower()


def valid_email(email: str) -> bool:
    return bool(_EMAIL.match(email)) and len(email) <= 320


def create_user(email: str, role: str, password: str, *, by: User | None = None) -> User:
    email = normalise_email(email)
    if not valid_email(email):
        raise ServiceError(f"{email!r} is not an email address", "email")
    if role not in {r.value for r in Role}:
        raise ServiceError(f"role must be one of {', '.join(r.value for r in Role)}", "role")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ServiceError(
            f"the password must be at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise ServiceError(f"a user with the email {email} already exists", "email")
    user = User(
        email=email,
        role=role,
        password_hash=_hasher.hash(password),
        session_nonce=secrets.token_hex(8),
    )
    db.session.add(user)
    db.session.flush()
    record("user.create", user=by, target=email, role=role)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None (never says which was wrong)."""
    user = db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User) -> None:
    """Make every existing session of ``user`` stale (their cookies carry the old nonce)."""
    user.session_nonce = secrets.token_hex(8)


def load_user(user_id: str) -> User | None:
    """Flask-Login loader: ``"<id>:<nonce>"``."""
    raw_id, _, nonce = user_id.partition(":")
    if not raw_id.isdigit():
        return None
    user = db.session.get(User, int(raw_id))
    if user is None or not secrets.compare_digest(user.session_nonce, nonce):
        return None
    return user
