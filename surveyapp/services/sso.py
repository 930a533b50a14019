"""Single sign-on with OpenID Connect: which staff account a verified identity is, and its role.

The ID token has already been checked (signature, issuer, audience, expiry, nonce) by Authlib
in the view; this module decides who it is: the account linked to the identity's issuer and
subject, else the account with its email address when the provider vouches for it (linked from
then on), else a new account. The role comes from a claim (``OIDC_ROLE_CLAIM``, e.g. Microsoft
Entra ID's ``roles`` app roles or a ``groups`` claim) through ``OIDC_ROLE_MAP``, on every sign-in,
so changing someone's role or removing them at the provider takes effect at their next sign-in;
except that the last active administrator is never demoted by a sign-in (it is refused instead).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Role, User
from surveyapp.services.audit import record
from surveyapp.services.users import (
    create_user,
    find_user,
    is_last_active_admin,
    logged_in,
    normalise_email,
    valid_email,
)

#: When several claim values map to roles, the widest wins.
_RANK = {Role.MANAGER.value: 1, Role.LEAD.value: 2, Role.ADMIN.value: 3}


class SignInRefused(Exception):
    """The identity is genuine but may not use the app; ``message`` says why, for the person."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


def parse_role_map(raw: str | Mapping[str, str]) -> dict[str, str]:
    """``"SurveyApp.Admin=admin, SurveyApp.Lead=lead"`` (or a dict) -> claim value -> role.
    Raises ValueError naming the bad part."""
    pairs = raw.items() if isinstance(raw, Mapping) else _pairs(raw)
    found: dict[str, str] = {}
    for value, role in pairs:
        value, role = value.strip(), role.strip().lower()
        if not value or role not in _RANK:
            raise ValueError(
                f"{value}={role} is not a claim value mapped to admin, lead or manager"
            )
        found[value] = role
    return found


def _pairs(raw: str) -> list[tuple[str, str]]:
    pairs = []
    for part in raw.split(","):
        if not part.strip():
            continue
        value, sep, role = part.rpartition("=")
        if not sep:
            raise ValueError(f"{part.strip()!r} has no '=' (write CLAIM_VALUE=ROLE)")
        pairs.append((value, role))
    return pairs


def role_from_claims(
    claims: Mapping[str, Any], claim: str, role_map: Mapping[str, str]
) -> str | None:
    """The widest role any of the claim's values maps to, or None. The claim may be one string
    or a list of strings (Entra ID's ``roles`` and ``groups`` are lists)."""
    raw = claims.get(claim)
    values = [raw] if isinstance(raw, str) else raw if isinstance(raw, list) else []
    roles = [role_map[v] for v in values if isinstance(v, str) and v in role_map]
    return max(roles, key=_RANK.__getitem__) if roles else None


def sign_in(
    issuer: str,
    claims: Mapping[str, Any],
    *,
    role_claim: str,
    role_map: Mapping[str, str],
    email_claim: str = "email",
    require_email_verified: bool = True,
) -> User:
    """The account for this verified identity, created or updated; raises
    :class:`SignInRefused` (audited) when it may not sign in."""
    subject = f"{issuer} {claims.get('sub', '')}"
    if not claims.get("sub"):
        raise _refuse("The sign-in did not say who you are.", "no_subject")
    role = role_from_claims(claims, role_claim, role_map)
    email = normalise_email(str(claims.get(email_claim) or ""))
    verified = claims.get("email_verified") is True or not require_email_verified
    user = db.session.scalar(sa.select(User).where(User.oidc_subject == subject))
    if user is None and email and valid_email(email) and verified:
        user = find_user(email)
        if user is not None and user.oidc_subject is None:
            user.oidc_subject = subject
            record("user.sso_link", user=user, issuer=issuer)
        elif user is not None:
            raise _refuse(
                "Your email address belongs to an account linked to another sign-in. Ask an "
                "administrator.",
                "email_linked_elsewhere",
            )
    if role is None:
        raise _refuse(
            "Your account has no role in this app. Ask your administrator to give you the "
            "admin, lead or manager role for it.",
            "no_role",
            target=email or None,
        )
    if user is None:
        if not email or not valid_email(email) or not verified:
            raise _refuse(
                "The sign-in did not give a verified email address, so no account can be made.",
                "no_verified_email",
            )
        user = create_user(email, role, None, via="sso")
        user.oidc_subject = subject
    if not user.active:
        raise _refuse(
            "Your account has been deactivated. Ask an administrator if you need it again.",
            "deactivated",
            target=user.email,
        )
    if user.role != role and is_last_active_admin(user):
        # The provider no longer makes them an admin, but nobody else could manage accounts:
        # neither demote them (no admin left) nor let them in with a role the provider took away.
        raise _refuse(
            "Your sign-in service no longer gives you the admin role, but you are this app's "
            "last active administrator, so your role was not changed. Log in with your password "
            "and make another administrator first, or ask for the admin role back.",
            "last_admin",
            target=user.email,
        )
    if user.role != role:
        record("user.role", user=None, target=user.email, old=user.role, new=role, via="sso")
        user.role = role
    logged_in(user)
    return user


def _refuse(message: str, reason: str, target: str | None = None) -> SignInRefused:
    detail: dict[str, Any] = {"reason": reason}
    if target:
        detail["target"] = target
    record("user.sso_refused", **detail)
    return SignInRefused(message, reason)
