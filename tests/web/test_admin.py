"""Administrators: staff accounts and the audit log."""

from __future__ import annotations

import re

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, User
from tests.conftest import count, csrf_token_from


def test_admin_adds_an_account_and_bad_input_saves_nothing(app, client, make_user, login):
    admin = make_user("admin")
    login(admin)
    token = csrf_token_from(client.get("/admin/users").text)
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "new@council.example",
            "role": "lead",
            "password": "short",
        },
    )
    assert resp.status_code == 400
    assert re.search(r'id="password-error">.*at least 12 characters', resp.text, re.S)
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "x@council.example",
            "role": "superuser",
            "password": "a" * 12,
        },
    )
    assert resp.status_code == 400 and "Not a valid choice" in resp.text
    with app.app_context():
        assert count(User) == 1
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "New@Council.example",
            "role": "manager",
            "password": "long enough pass",
        },
    )
    assert resp.status_code == 302
    resp = client.post(
        "/admin/users",
        data={
            "csrf_token": token,
            "email": "new@council.example",
            "role": "lead",
            "password": "long enough pass",
        },
    )
    assert resp.status_code == 400 and "already exists" in resp.text
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new@council.example"))
        assert user.role == "manager"
        event = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "user.create")
            .order_by(AuditEvent.id.desc())
        ).first()
        assert event.user_id == admin["id"] and event.detail["target"] == "new@council.example"


def test_audit_log_shows_who_did_what_to_which_round(app, client, make_user, login, make_round):
    lead = make_user("lead")
    login(lead)
    page = client.get("/rounds/new")
    token = csrf_token_from(page.text)
    round_id = make_round("Audited round", partner_type_slugs=["school"])
    client.post(f"/rounds/{round_id}/open", data={"csrf_token": token})
    client.post(f"/rounds/{round_id}/close", data={"csrf_token": token})
    assert client.get("/admin/audit").status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login(make_user("admin"))
    page = client.get("/admin/audit").text
    rows = re.findall(
        r"<tr>\s*<td>[^<]*</td>\s*<td>([^<]*)</td>\s*<td><code>([^<]*)</code>"
        r"</td>\s*<td>(?:<a [^>]*>([^<]*)</a>)?",
        page,
    )
    actions = [row for row in rows if row[1].startswith("round.")]
    assert actions[:3] == [
        (lead["email"], "round.close", "Audited round"),
        (lead["email"], "round.open", "Audited round"),
        ("Command line", "round.create", "Audited round"),
    ]
    only = client.get(f"/admin/audit?round={round_id}").text
    assert only.count("<code>round.") == 3 and "user.create" not in only


def test_admin_renames_a_partner_type_and_a_locality(app, client, make_user, login):
    from surveyapp.models import Locality, PartnerType
    from surveyapp.services import reference as ref_svc

    login(make_user("admin"))
    with app.app_context():
        police = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == "police"))
        north = ref_svc.add_locality("North")
        db.session.commit()
        police_id, police_label, north_id = police.id, police.label, north.id
    for url, field, old, new in (
        (f"/admin/reference/partner-types/{police_id}", "label", police_label, "Police service"),
        (f"/admin/reference/localities/{north_id}", "name", "North", "North and Coast"),
    ):
        page = client.get(url)
        assert page.status_code == 200 and f'value="{old}"' in page.text
        token = csrf_token_from(page.text)
        empty = client.post(url, data={"csrf_token": token, field: " "})
        assert empty.status_code == 400 and "name" in empty.text
        done = client.post(url, data={"csrf_token": token, field: new})
        assert done.status_code == 302 and done.headers["Location"].endswith("/admin/reference")
    with app.app_context():
        assert db.session.get(PartnerType, police_id).label == "Police service"
        assert db.session.get(Locality, north_id).name == "North and Coast"
