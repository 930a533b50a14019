"""A sign-in never demotes the last active administrator: it is refused and audited, the role
stays; with another active administrator, the provider's role applies as usual."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, User
from surveyapp.services.sso import SignInRefused, sign_in
from surveyapp.services.users import create_user

ISSUER = "https://login.example.org"
ROLE_MAP = {"App.Admin": "admin", "App.Lead": "lead"}


def claims(sub: str, email: str, *roles: str) -> dict:
    return {"sub": sub, "email": email, "email_verified": True, "roles": list(roles)}


def signed_in(sub: str, email: str, *roles: str) -> User:
    return sign_in(ISSUER, claims(sub, email, *roles), role_claim="roles", role_map=ROLE_MAP)


def test_the_last_active_admin_is_not_demoted_by_a_sign_in(app):
    with app.test_request_context():
        admin = signed_in("a1", "admin@example.org", "App.Admin")
        create_user("retired-admin@example.org", "admin", None).active = False  # not counted
        db.session.commit()
        assert admin.role == "admin"
        with pytest.raises(SignInRefused) as refused:
            signed_in("a1", "admin@example.org", "App.Lead")
        assert refused.value.reason == "last_admin"
        assert "last active administrator" in refused.value.message
        db.session.commit()  # the refusal's audit event is kept, as the view does
        assert db.session.get(User, admin.id).role == "admin"
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "user.sso_refused")
        ).all()
        assert [e.detail for e in events] == [
            {"reason": "last_admin", "target": "admin@example.org"}
        ]


def test_with_another_active_admin_the_provider_role_applies(app):
    with app.test_request_context():
        admin = signed_in("a1", "admin@example.org", "App.Admin")
        create_user("other-admin@example.org", "admin", None)
        db.session.commit()
        assert signed_in("a1", "admin@example.org", "App.Lead").role == "lead"
        db.session.commit()
        assert db.session.get(User, admin.id).role == "lead"
