"""Role checks for staff pages."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user, login_required

from surveyapp.models import Role

F = TypeVar("F", bound=Callable[..., Any])

#: Who may do what; views name one of these rather than listing roles.
STAFF = tuple(Role)
RUN_ROUNDS = (Role.ADMIN, Role.LEAD)
READ_REPORTS = (Role.ADMIN, Role.LEAD, Role.MANAGER)
ADMIN = (Role.ADMIN,)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Anonymous visitors go to the login page; staff without the role get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        @login_required
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator
