"""Staff accounts. Partner staff never have one."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask_login import UserMixin

from surveyapp.extensions import Model
from surveyapp.models.base import one_of, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    LEAD = "lead"
    MANAGER = "manager"


class User(UserMixin, Model):
    __tablename__ = "users"
    __table_args__ = (one_of("role", Role),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Lower-cased.
    email: so.Mapped[str] = so.mapped_column(sa.String(320), unique=True)
    #: Argon2id hash (argon2-cffi); empty for an account that signs in only through single
    #: sign-on (no password can match it).
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(10))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: Changes on log-out, on a password change or reset, and when the account is (de/re)activated,
    #: so every old session (and any copied cookie) stops working.
    session_nonce: so.Mapped[str] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_login_at: so.Mapped[datetime | None]
    #: Wrong passwords or codes in a row since the last successful log-in.
    failed_logins: so.Mapped[int] = so.mapped_column(default=0, server_default="0")
    #: No log-in is tried before this time (back-off after repeated failures).
    locked_until: so.Mapped[datetime | None]
    #: Base32 TOTP secret once a second factor is enrolled (pending until confirmed).
    totp_secret: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    #: When the second factor was confirmed; from then on it is required at log-in.
    totp_enabled_at: so.Mapped[datetime | None]
    #: The last TOTP time step accepted, so a code cannot be used twice.
    totp_last_step: so.Mapped[int | None] = so.mapped_column(sa.BigInteger)
    #: ``issuer sub`` of the single sign-on identity linked to this account.
    oidc_subject: so.Mapped[str | None] = so.mapped_column(sa.String(600), unique=True)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None

    def get_id(self) -> str:  # Flask-Login: invalidated when the nonce changes
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles


class PasswordReset(Model):
    """A single-use, expiring link to set a new password, issued by an administrator.

    The link's token is derived from ``nonce`` and the secret key when the email is sent (so the
    outbox never holds a working link); the database keeps only its SHA-256 to find it."""

    __tablename__ = "password_resets"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: Random; the token is HMAC(secret key, nonce).
    nonce: so.Mapped[str] = so.mapped_column(sa.String(32))
    #: SHA-256 of the token in the link.
    token_hash: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    #: The outbox message that carries the link.
    outbox_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("outbox.id", ondelete="SET NULL"), unique=True
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    expires_at: so.Mapped[datetime]
    #: Set when used, or when a newer link replaces it.
    used_at: so.Mapped[datetime | None]


class RecoveryCode(Model):
    """A one-time code that stands in for the second factor (a lost phone); kept hashed."""

    __tablename__ = "recovery_codes"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 of the code (40 random bits, tried only under the account lockout).
    code_hash: so.Mapped[str] = so.mapped_column(sa.String(64))
    used_at: so.Mapped[datetime | None]
