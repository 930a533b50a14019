"""Open links as channels: names, responses counted per link, shared devices (several people
in turn on one browser), and anomaly flags (bursts from one address, identical answers) that a
lead can exclude from the report and include again, audited."""

from __future__ import annotations

import re
from datetime import date

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db, limiter
from surveyapp.models import Answer, AuditEvent, Draft, OpenLink, Response, Round
from surveyapp.reporting.frames import load_round_frames
from surveyapp.services import ServiceError, anomalies
from surveyapp.services import rounds as round_svc
from tests.conftest import count, csrf_token_from
from tests.web.respond_helpers import PAGES, csrf

ALL_ITEMS = [i for page in PAGES for i in page]
VALUES = {i: "4" for i in ALL_ITEMS}


def _link(app, rid: int, **kwargs) -> tuple[int, str]:
    with app.app_context():
        link = round_svc.create_open_link(db.session.get(Round, rid), **kwargs)
        db.session.commit()
        return link.id, link.slug


def _submit(client, slug: str, values: dict[str, str], *, fresh: bool = True):
    """Answer the whole form through the link; ``fresh``: as a new browser (no cookie)."""
    if fresh:
        client.delete_cookie("respondent", path=f"/o/{slug}")
    token = csrf(client.get(f"/o/{slug}").text)
    return client.post(f"/o/{slug}", data={"csrf_token": token, "action": "submit", **values})


def test_names_are_unique_per_round_ignoring_case(app, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    other = make_round("Other", open_=True, partner_type_slugs=["school"])
    with app.app_context():
        round_ = db.session.get(Round, rid)
        first = round_svc.create_open_link(round_, name="  Team briefing   3 March ")
        assert first.name == "Team briefing 3 March"
        with pytest.raises(ServiceError, match="another open link"):
            round_svc.create_open_link(round_, name="TEAM BRIEFING 3 march")
        # the same name in another round is fine; blank names number themselves
        round_svc.create_open_link(db.session.get(Round, other), name="Team briefing 3 March")
        assert round_svc.create_open_link(round_).name == "Open link 2"
        tablet = round_svc.create_open_link(round_, name="GP practice tablet")
        with pytest.raises(ServiceError, match="another open link"):
            round_svc.update_open_link(tablet, name="open LINK 2", shared_device=False)
        round_svc.update_open_link(tablet, name="GP tablet", shared_device=True)
        assert (tablet.name, tablet.shared_device) == ("GP tablet", True)
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "open_link.update")
        ).all()
        assert [e.detail for e in events] == [
            {"slug": tablet.slug, "name": "GP tablet", "shared_device": True}
        ]


def test_responses_counted_per_link_on_the_page_and_the_cli(
    app, client, runner, make_user, login, make_round
):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    briefing_id, briefing = _link(app, rid, name="Team briefing", partner_type_slug="police")
    _, tablet = _link(app, rid, name="GP practice tablet", partner_type_slug="school")
    for value in "123":
        assert _submit(client, briefing, VALUES | {"comm_roles": value}).status_code == 303
    assert _submit(client, tablet, VALUES | {"comm_roles": "5"}).status_code == 303
    with app.app_context():
        rows = db.session.execute(
            sa.select(OpenLink.name, sa.func.count(Response.id))
            .join(Response, Response.open_link_id == OpenLink.id)
            .group_by(OpenLink.name)
            .order_by(OpenLink.name)
        ).all()
        assert rows == [("GP practice tablet", 1), ("Team briefing", 3)]
    result = runner.invoke(args=["rounds", "status", str(rid)])
    assert result.exit_code == 0, result.output
    lines = {line.split("  ")[0]: line.split() for line in result.output.splitlines()}
    assert lines["Team briefing"][-4:] == ["Any", "3", "0", "0"]  # responses, flagged, excluded
    assert lines["GP practice tablet"][-4:] == ["Any", "1", "0", "0"]
    login(make_user("lead"))
    page = client.get(f"/rounds/{rid}/links").text
    table = page[page.index("Responses per open link") :]
    row = re.search(r"<td>Team briefing</td>(.*?)</tr>", table, re.S).group(1)
    assert "<td>Police</td>" in row and '<td class="num">3</td>' in row
    # a deleted link leaves its responses in the round, with no link
    with app.app_context():
        db.session.execute(sa.delete(OpenLink).where(OpenLink.id == briefing_id))
        db.session.commit()
        assert count(Response) == 4
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(Response.open_link_id.is_(None)))
            == 3
        )


def test_lead_creates_and_renames_a_named_shared_device_link(
    app, client, make_user, login, make_round
):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    login(make_user("lead"))
    token = csrf_token_from(client.get(f"/rounds/{rid}/links").text)
    data = {"csrf_token": token, "name": "GP practice tablet", "shared_device": "y"}
    assert client.post(f"/rounds/{rid}/links", data=data).status_code == 302
    again = client.post(f"/rounds/{rid}/links", data=data | {"name": "gp PRACTICE tablet"})
    assert again.status_code == 400 and "Another open link" in again.text
    with app.app_context():
        link = db.session.scalar(sa.select(OpenLink))
        assert (link.name, link.shared_device) == ("GP practice tablet", True)
        link_id = link.id
    edit = f"/rounds/{rid}/links/{link_id}/edit"
    assert 'value="GP practice tablet"' in client.get(edit).text
    assert client.post(edit, data={"csrf_token": token, "name": ""}).status_code == 400
    resp = client.post(edit, data={"csrf_token": token, "name": "Reception tablet"})
    assert resp.status_code == 302
    with app.app_context():
        link = db.session.get(OpenLink, link_id)
        assert (link.name, link.shared_device) == ("Reception tablet", False)
    assert "Reception tablet" in client.get(f"/rounds/{rid}/links").text


def test_shared_device_link_takes_people_in_turn(app, client, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    _, slug = _link(app, rid, partner_type_slug="police", shared_device=True)
    first = _submit(client, slug, VALUES | {"comm_roles": "1"})
    assert first.status_code == 303
    done = client.get(f"/o/{slug}/done")
    assert "Start a new response for the next person" in done.text
    nxt = client.post(f"/o/{slug}/next", data={"csrf_token": csrf(done.text)})
    assert nxt.status_code == 303 and nxt.headers["Location"].endswith(f"/o/{slug}")
    assert f"Path=/o/{slug}" in nxt.headers["Set-Cookie"]
    blank = client.get(f"/o/{slug}")
    assert blank.status_code == 200 and "Welcome back" not in blank.text
    assert " checked" not in blank.text and "data-shared-device" in blank.text
    # the second person starts, leaves it half done; the third finds it blank
    token = csrf(blank.text)
    client.post(f"/o/{slug}", data={"csrf_token": token, "action": "save", "comm_roles": "5"})
    with app.app_context():
        assert count(Draft) == 1
    client.post(f"/o/{slug}/next", data={"csrf_token": token})
    with app.app_context():
        assert count(Draft) == 0
    third = client.get(f"/o/{slug}")
    assert " checked" not in third.text
    assert _submit(client, slug, VALUES | {"comm_roles": "2"}, fresh=False).status_code == 303
    # the third person closed the thank-you page; the fourth opens the link (or its QR code)
    again = client.get(f"/o/{slug}")
    assert again.status_code == 409 and "Start a new response for the next person" in again.text
    client.post(f"/o/{slug}/next", data={"csrf_token": token})
    assert client.get(f"/o/{slug}").status_code == 200
    with app.app_context():
        values = db.session.scalars(sa.select(Answer.value).where(Answer.item_id == "comm_roles"))
        assert sorted(values) == [1, 2]


def test_normal_link_refuses_a_second_response_and_has_no_next_person(app, client, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    _, slug = _link(app, rid, partner_type_slug="police")
    token = csrf(client.get(f"/o/{slug}").text)
    assert _submit(client, slug, VALUES, fresh=False).status_code == 303
    done = client.get(f"/o/{slug}/done")
    assert "next person" not in done.text and "You can now close this page" in done.text
    assert client.post(f"/o/{slug}/next", data={"csrf_token": token}).status_code == 404
    refused = client.get(f"/o/{slug}")
    assert refused.status_code == 409 and "next person" not in refused.text
    with app.app_context():
        assert count(Response) == 1


def test_burst_and_identical_flags_exclusion_and_the_report(
    app, client, make_user, login, make_round
):
    app.config["OPEN_LINK_BURST_LIMIT"] = "3 per hour"
    rid = make_round(open_=True, partner_type_slugs=["school", "police"], min_group_size=5)
    link_id, slug = _link(app, rid, name="Newsletter", partner_type_slug="police")
    # Five submissions from one address with fresh cookies: A and B identical; the 4th and
    # 5th are over 3 an hour.
    answers = [
        VALUES,
        VALUES,
        VALUES | {"comm_roles": "1"},
        VALUES | {"comm_roles": "2"},
        VALUES | {"comm_roles": "3"},
    ]
    for values in answers:
        assert _submit(client, slug, values).status_code == 303
    with app.app_context():
        flags = db.session.execute(
            sa.select(Response.flag, sa.func.count()).group_by(Response.flag)
        ).all()
        assert sorted(flags, key=str) == sorted(
            [(None, 1), ("burst", 2), ("identical", 2)], key=str
        )
        # nothing stored holds the address; the limiter holds only a keyed hash of it
        for value in db.session.execute(sa.select(Response.__table__)).all():
            assert "127.0.0.1" not in repr(value)
        keys = [k for k in limiter.storage.storage if "open-burst" in k]
        assert keys and all("127.0.0.1" not in k for k in keys)
        assert anomalies._address_key("127.0.0.1", date(2026, 3, 1)) != anomalies._address_key(
            "127.0.0.1", date(2026, 3, 2)
        )
        version = db.session.get(Round, rid).data_version
        frames = load_round_frames(db.session, rid)
        assert len(frames.responses) == 5 and frames.excluded_by_lead == 0
    lead = make_user("lead")
    login(lead)
    page = client.get(f"/rounds/{rid}/links").text
    assert "2 flagged: many submissions from one network address" in page
    assert "2 flagged: answers identical to another response" in page
    token = csrf_token_from(page)
    resp = client.post(
        f"/rounds/{rid}/links/{link_id}/flags/burst/exclude", data={"csrf_token": token}
    )
    assert resp.status_code == 302
    assert "2 flagged response(s) excluded" in client.get(f"/rounds/{rid}/links").text
    with app.app_context():
        assert db.session.get(Round, rid).data_version == version + 1
        frames = load_round_frames(db.session, rid)
        assert len(frames.responses) == 3 and frames.excluded_by_lead == 2
        # the excluded answers are gone from the data: comm_roles 2 and 3 were the burst
        kept = frames.answers[frames.answers["item_id"] == "comm_roles"]["value"]
        assert sorted(kept.tolist()) == [1, 4, 4]
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "open_link.exclude")
        )
        assert event.user_id == lead["id"] and event.detail["flag"] == "burst"
        assert event.detail["responses"] == 2
    report = client.get(f"/rounds/{rid}/report")
    assert "2 responses excluded by the lead" in report.text
    # excluding twice is refused plainly; including again restores them
    again = client.post(
        f"/rounds/{rid}/links/{link_id}/flags/burst/exclude", data={"csrf_token": token}
    )
    assert again.status_code == 302
    assert "Not done: no flagged responses to exclude" in client.get(f"/rounds/{rid}/links").text
    client.post(f"/rounds/{rid}/links/{link_id}/flags/burst/include", data={"csrf_token": token})
    bad = client.post(
        f"/rounds/{rid}/links/{link_id}/flags/made-up/exclude", data={"csrf_token": token}
    )
    assert bad.status_code == 404
    with app.app_context():
        frames = load_round_frames(db.session, rid)
        assert len(frames.responses) == 5 and frames.excluded_by_lead == 0
        assert db.session.get(Round, rid).data_version == version + 2
        assert count(AuditEvent) >= 2
