"""Partner types and localities on the command line and in the admin pages."""

from __future__ import annotations

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import AuditEvent, Locality, PartnerType
from tests.conftest import csrf_token_from


def test_partner_types_add_rename_retire_restore(app, runner, make_round):
    result = runner.invoke(args=["partner-types", "add", "Children's centre"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "children_s_centre"
    for spelling in ("CHILDREN'S CENTRE", "children s  centre", "Health Visiting"):
        result = runner.invoke(args=["partner-types", "add", spelling])
        assert result.exit_code == 1 and "there is already a partner type called" in result.output
    assert (
        runner.invoke(args=["partner-types", "rename", "children_s_centre", "Family hub"]).exit_code
        == 0
    )
    assert runner.invoke(args=["partner-types", "retire", "police"]).exit_code == 0
    result = runner.invoke(args=["partner-types", "retire", "police"])
    assert result.exit_code == 1 and "already retired" in result.output
    # a round made now offers every partner type still in use, but not police
    round_id = make_round("After")
    with app.app_context():
        from surveyapp.models import Round

        slugs = [p.slug for p in db.session.get(Round, round_id).partner_types]
        assert "police" not in slugs and "children_s_centre" in slugs
        fam = db.session.scalar(
            sa.select(PartnerType).where(PartnerType.slug == "children_s_centre")
        )
        assert fam.label == "Family hub"
    assert runner.invoke(args=["partner-types", "restore", "police"]).exit_code == 0
    listing = runner.invoke(args=["partner-types", "list"]).output
    assert (
        "police\tPolice\tin use" in listing and "children_s_centre\tFamily hub\tin use" in listing
    )


def test_localities_are_unique_whatever_the_case(app, runner):
    assert runner.invoke(args=["localities", "add", "North"]).exit_code == 0
    result = runner.invoke(args=["localities", "add", "NORTH"])
    assert result.exit_code == 1
    assert "Error: there is already a locality called North" in result.output
    assert "Traceback" not in result.output
    assert runner.invoke(args=["localities", "add", "South"]).exit_code == 0
    result = runner.invoke(args=["localities", "rename", "south", "north"])
    assert result.exit_code == 1 and "already a locality called North" in result.output
    assert runner.invoke(args=["localities", "rename", "south", "South East"]).exit_code == 0
    assert runner.invoke(args=["localities", "retire", "north"]).exit_code == 0
    assert runner.invoke(args=["localities", "list"]).output.splitlines() == [
        "North\tretired",
        "South East\tin use",
    ]


def test_reference_admin_pages(app, client, make_user, login):
    login(make_user("admin"))
    page = client.get("/admin/reference")
    assert page.status_code == 200 and "Health visiting" in page.text
    token = csrf_token_from(page.text)
    resp = client.post(
        "/admin/reference/localities", data={"csrf_token": token, "loc-name": "North"}
    )
    assert resp.status_code == 302
    resp = client.post(
        "/admin/reference/localities", data={"csrf_token": token, "loc-name": " north "}
    )
    assert resp.status_code == 400
    assert "There is a problem" in resp.text and "already a locality called North" in resp.text
    resp = client.post("/admin/reference/partner-types", data={"csrf_token": token, "pt-label": ""})
    assert resp.status_code == 400 and "Enter the partner type" in resp.text
    with app.app_context():
        north = db.session.scalar(sa.select(Locality))
        school = db.session.scalar(sa.select(PartnerType).where(PartnerType.slug == "school"))
        ids = north.id, school.id
    resp = client.post(
        f"/admin/reference/localities/{ids[0]}", data={"csrf_token": token, "name": "Northern"}
    )
    assert resp.status_code == 302
    resp = client.post(
        f"/admin/reference/partner-types/{ids[1]}/active", data={"csrf_token": token, "active": "0"}
    )
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Locality, ids[0]).name == "Northern"
        assert db.session.get(PartnerType, ids[1]).active is False
        actions = set(db.session.scalars(sa.select(AuditEvent.action)))
        assert {"locality.add", "locality.rename", "partner_type.retire"} <= actions
    form = client.get("/rounds/new").text
    assert 'value="school"' not in form and "Northern" in form
