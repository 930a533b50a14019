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
    #: Argon2id hash (argon2-cffi).
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    role: so.Mapped[str] = so.mapped_column(sa.String(10))
    active: so.Mapped[bool] = so.mapped_column(default=True)
    #: Changes when the password changes, so old sessions stop working.
    session_nonce: so.Mapped[str] = so.mapped_column(sa.String(32))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    last_login_at: so.Mapped[datetime | None]

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:  # Flask-Login: invalidated when the nonce changes
        return f"{self.id}:{self.session_nonce}"

    def has_role(self, *roles: str) -> bool:
        return self.role in roles
