"""Leads running a round in the browser (Flask test client): build, invite, watch, close,
publish."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from email import message_from_bytes

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import (
    AuditEvent,
    Invitation,
    OpenLink,
    OutboxMessage,
    Response,
    Round,
)
from surveyapp.services.tokens import sha256
from surveyapp.timeutil import format_date
from tests.conftest import count, csrf_token_from
from tests.web.respond_helpers import make_open_link
from tests.web.test_counts_by_role import add_open_responses


@pytest.fixture
def lead(make_user, login):
    user = make_user("lead")
    login(user)
    return user


def form_data(client, url: str) -> str:
    return csrf_token_from(client.get(url).text)


def new_round_data(token: str, **overrides) -> dict:
    data = {
        "csrf_token": token,
        "title": "Autumn partner survey",
        "instrument": "early-help-pathways@1",
        "opens_on": "",
        "closes_on": "",
        "partner_types": ["school", "police", "housing"],
        "new_localities": "North, South",
        "min_group_size": "10",
        "compared_round_id": "",
        "thank_you_message": "Thanks!",
        "results_message": "",
        "reminder_gap_days": "7",
        "max_reminders": "2",
        "invitation_subject": "Survey: {title}",
        "invitation_body": "Hello\n\nGo to {link}\n",
        "reminder_subject": "Reminder: {title}",
        "reminder_body": "Still time: {link}",
        "signpost_pathways_label": "Our local offer",
        "signpost_pathways_url": "https://council.example/early-help",
    }
    data.update(overrides)
    return data


def test_create_round_in_the_browser(app, client, lead):
    token = form_data(client, "/rounds/new")
    resp = client.post("/rounds/new", data=new_round_data(token))
    assert resp.status_code == 302
    with app.app_context():
        round_ = db.session.scalar(sa.select(Round))
        assert round_.title == "Autumn partner survey"
        assert round_.status == "draft"
        assert [p.slug for p in round_.partner_types] == ["school", "police", "housing"]
        assert sorted(loc.name for loc in round_.localities) == ["North", "South"]
        assert round_.signposts == {
            "pathways": {"label": "Our local offer", "url": "https://council.example/early-help"}
        }
        assert round_.invitation_body == "Hello\n\nGo to {link}"
        event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "round.create"))
        assert event.user_id == lead["id"]
    page = client.get(resp.headers["Location"])
    assert "Autumn partner survey" in page.text and "Open the round" in page.text


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"title": ""}, "title", "Enter a title for the round"),
        ({"min_group_size": "4"}, "min_group_size", "cannot be below 5"),
        ({"min_group_size": "ten"}, "min_group_size", "whole number"),
        ({"opens_on": "2026-12-10", "closes_on": "2026-12-01"}, "closes_on", "on or after"),
        ({"closes_on": "31/12/2026"}, "closes_on", "date"),
        ({"partner_types": []}, "partner_types", "at least one partner type"),
        ({"signpost_pathways_url": "javascript:alert(1)"}, "signpost_pathways_url", "https://"),
        ({"invitation_body": "Hello, no link here"}, "invitation_body", "must contain {link}"),
        ({"reminder_subject": "Hi {name}"}, "reminder_subject", "{name}"),
        ({"max_reminders": "9"}, "max_reminders", "between 0 and 5"),
    ],
)
def test_bad_round_input_is_shown_next_to_the_field_and_saves_nothing(
    app, client, lead, overrides, field, message
):
    token = form_data(client, "/rounds/new")
    resp = client.post("/rounds/new", data=new_round_data(token, **overrides))
    assert resp.status_code == 400
    assert "There is a problem" in resp.text
    error = re.search(rf'id="{field}-error">(.*?)</p>', resp.text, re.S)
    assert error and message in error.group(1), resp.text
    with app.app_context():
        assert count(Round) == 0
        assert count(AuditEvent) == 1  # only the user.create of the fixture


def test_round_form_without_csrf_is_refused(app, client, lead):
    resp = client.post("/rounds/new", data=new_round_data("not-a-token"))
    assert resp.status_code == 400
    with app.app_context():
        assert count(Round) == 0


def edit_data(client, round_id: int, **overrides) -> dict:
    """The edit form as the browser would post it back, with some fields changed."""
    html = client.get(f"/rounds/{round_id}/edit").text
    data: dict = {"csrf_token": csrf_token_from(html)}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data.setdefault(name, value)
    for name in re.findall(r'<input[^>]*name="([^"]+)"(?![^>]*value=)[^>]*>', html):
        data.setdefault(name, "")
    for name, body in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\n?(.*?)</textarea>', html, re.S
    ):
        data[name] = body.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&")
    data["partner_types"] = re.findall(
        r'<input checked[^>]*name="partner_types"[^>]*value="([^"]+)"', html
    ) or re.findall(r'<input[^>]*name="partner_types"[^>]*value="([^"]+)"[^>]*checked', html)
    data["localities"] = re.findall(
        r'<input checked[^>]*name="localities"[^>]*value="([^"]+)"', html
    )
    selected = dict(
        re.findall(r'<select[^>]*name="([^"]+)".*?<option selected value="([^"]*)"', html, re.S)
    )
    data.update({k: v for k, v in selected.items() if k not in data or not data[k]})
    data.pop("file", None)
    data.update(overrides)
    return data


def test_open_round_allows_safe_edits_and_refuses_the_instrument_once_answered(
    app, client, lead, make_round
):
    round_id = make_round("Live", open_=True, partner_type_slugs=["school", "police"])
    data = edit_data(
        client,
        round_id,
        closes_on="2099-01-31",
        signpost_thresholds_label="Thresholds guide",
        signpost_thresholds_url="https://council.example/thresholds",
    )
    resp = client.post(f"/rounds/{round_id}/edit", data=data)
    assert resp.status_code == 302, resp.text
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert str(round_.closes_on) == "2099-01-31"
        assert round_.signposts["thresholds"]["label"] == "Thresholds guide"
        db.session.add(
            Response(
                round_id=round_id,
                partner_type_id=round_.partner_types[0].id,
                channel="open",
                submitted_on=round_.opened_at.date(),
            )
        )
        db.session.commit()
    page = client.get(f"/rounds/{round_id}/edit").text
    assert "1 person has answered, so the questions are fixed." in page
    assert "The round is open, so its opening date is fixed." in page
    data = edit_data(client, round_id, opens_on="2099-01-01")
    resp = client.post(f"/rounds/{round_id}/edit", data=data)
    assert resp.status_code == 400
    assert "its opening date cannot change" in resp.text


def test_instrument_change_is_refused_with_the_reason(app, make_round):
    from surveyapp.services import ServiceError
    from surveyapp.services.rounds import RoundSettings, update_round

    round_id = make_round("Live", open_=True)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        db.session.add_all(
            [
                Response(
                    round_id=round_id,
                    partner_type_id=round_.partner_types[0].id,
                    channel="open",
                    submitted_on=round_.opened_at.date(),
                )
                for _ in range(3)
            ]
        )
        db.session.flush()
        settings = RoundSettings.of(round_)
        changed = RoundSettings(**{**settings.__dict__, "instrument_ref": "early-help-pathways@2"})
        with pytest.raises(ServiceError) as exc:
            update_round(round_, changed)
        # No version 2 ships, so the instrument itself is refused first.
        assert exc.value.field == "instrument"


def test_delete_draft_but_not_open_or_answered(app, client, lead, make_round):
    draft = make_round("Draft")
    opened = make_round("Open", open_=True)
    token = form_data(client, f"/rounds/{draft}")
    assert client.post(f"/rounds/{draft}/delete", data={"csrf_token": token}).status_code == 302
    resp = client.post(
        f"/rounds/{opened}/delete", data={"csrf_token": token}, follow_redirects=True
    )
    assert "only a draft round can be deleted" in resp.text
    with app.app_context():
        assert db.session.get(Round, draft) is None
        assert db.session.get(Round, opened) is not None
        deleted = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "round.delete")
        )
        assert deleted.detail["deleted_round_id"] == draft


CSV_GOOD = (
    b"email,partner_type,locality\n"
    b"Ann@School.example,school,North\n"
    b"bob@police.example,police,\n"
    b"cat@school.example,school,South\n"
)


def upload(client, round_id: int, content: bytes, name: str = "people.csv"):
    import io

    token = form_data(client, f"/rounds/{round_id}/invitations")
    return client.post(
        f"/rounds/{round_id}/invitations",
        data={"csrf_token": token, "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_csv_with_bad_rows_lists_them_and_adds_nobody(app, client, lead, make_round):
    round_id = make_round(
        "R", open_=True, partner_type_slugs=["school", "police"], locality_names=["North"]
    )
    resp = upload(
        client,
        round_id,
        b"email,partner_type,locality\n"
        b"ann@school.example,school,North\n"
        b"not-an-email,school,\n"
        b"ANN@school.example,police,\n"
        b"dan@x.example,housing,Nowhere\n",
    )
    assert resp.status_code == 400
    rows = re.findall(r'<td class="num">(\d+)</td><td>(.*?)</td>', resp.text)
    assert [r[0] for r in rows] == ["3", "4", "5"]
    assert "&#39;not-an-email&#39; is not an email address" in rows[0][1]
    assert "already on row 2" in rows[1][1]
    assert "partner type &#39;housing&#39; is not part of this round" in rows[2][1]
    assert "locality &#39;Nowhere&#39; is not part of this round" in rows[2][1]
    with app.app_context():
        assert count(Invitation) == 0


def test_same_people_added_later_are_not_duplicated(app, client, lead, make_round):
    round_id = make_round(
        "R", open_=True, partner_type_slugs=["school", "police"], locality_names=["North", "South"]
    )
    assert upload(client, round_id, CSV_GOOD).status_code == 302
    resp = upload(client, round_id, CSV_GOOD + b"dee@school.example,school,North\n")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).text
    assert "1 person added. 3 were already invited" in page
    with app.app_context():
        invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
        assert [i.email for i in invitations] == [
            "ann@school.example",
            "bob@police.example",
            "cat@school.example",
            "dee@school.example",
        ]
        assert invitations[0].locality.name == "North" and invitations[1].locality is None
        assert len({i.token_hash for i in invitations}) == 4


def test_send_now_queues_and_delivers_without_storing_the_link(
    app, client, lead, make_round, tmp_path
):
    from surveyapp.services.tokens import invitation_token

    round_id = make_round(
        "Autumn",
        open_=True,
        partner_type_slugs=["school", "police"],
        locality_names=["North", "South"],
    )
    upload(client, round_id, CSV_GOOD)
    token = form_data(client, f"/rounds/{round_id}/invitations")
    resp = client.post(
        f"/rounds/{round_id}/invitations/send", data={"csrf_token": token}, follow_redirects=True
    )
    # One press queues and delivers.
    assert "3 invitation(s) queued and sent. Emails: 3 sent, 0 to retry later" in resp.text
    with app.app_context():
        messages = db.session.scalars(sa.select(OutboxMessage)).all()
        assert len(messages) == 3 and {m.kind for m in messages} == {"invitation"}
        assert {m.status for m in messages} == {"sent"}
        for m in messages:  # the stored copy never holds the working link
            assert "{link}" in m.body_text and "/s/" not in m.body_text
            assert "/s/" not in m.body_html
        nonces = {i.email: i.token_nonce for i in db.session.scalars(sa.select(Invitation))}
        links = {
            email: f"http://surveyapp.test/s/{invitation_token(n)}" for email, n in nonces.items()
        }
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 3
    for path in files:
        email = message_from_bytes(path.read_bytes())
        text = email.get_payload()[0].get_payload(decode=True).decode()
        assert links[email["To"]] in text
        assert email["Subject"].startswith("Please tell us about early help: Autumn")
    with app.app_context():
        # The stored token is the hash of the link's token.
        for email, link in links.items():
            inv = db.session.scalar(sa.select(Invitation).where(Invitation.email == email))
            assert inv.token_hash == sha256(link.rsplit("/", 1)[1])
        assert {e.action for e in db.session.scalars(sa.select(AuditEvent))} >= {
            "invitations.add",
            "invitations.send",
            "mail.send",
        }


def test_sending_from_a_draft_is_refused(app, client, lead, make_round):
    round_id = make_round(
        "Draft", partner_type_slugs=["school", "police"], locality_names=["North", "South"]
    )
    upload(client, round_id, CSV_GOOD)
    token = form_data(client, f"/rounds/{round_id}/invitations")
    resp = client.post(
        f"/rounds/{round_id}/invitations/send", data={"csrf_token": token}, follow_redirects=True
    )
    assert "only be sent while the round is open; it is still a draft" in resp.text
    with app.app_context():
        assert count(OutboxMessage) == 0


def test_open_links_qr_codes_poster_and_deactivation(app, client, lead, make_round):
    round_id = make_round(
        "R", open_=True, partner_type_slugs=["school", "police"], locality_names=["North"]
    )
    token = form_data(client, f"/rounds/{round_id}/links")
    resp = client.post(
        f"/rounds/{round_id}/links",
        data={"csrf_token": token, "partner_type": "police", "locality": "North"},
    )
    assert resp.status_code == 302
    bad = client.post(
        f"/rounds/{round_id}/links",
        data={"csrf_token": token, "partner_type": "gp", "locality": ""},
    )
    assert bad.status_code == 400 and "Not a valid choice" in bad.text
    with app.app_context():
        link = db.session.scalar(sa.select(OpenLink))
        assert link.partner_type.slug == "police" and link.locality.name == "North"
        link_id, slug = link.id, link.slug
    svg = client.get(f"/rounds/{round_id}/links/{link_id}/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    assert f"round-{round_id}-police-north-qr.svg" in svg.headers["Content-Disposition"]
    png = client.get(f"/rounds/{round_id}/links/{link_id}/qr.png")
    assert png.data[:8] == b"\x89PNG\r\n\x1a\n"
    poster = client.get(f"/rounds/{round_id}/links/{link_id}/poster")
    assert f"http://surveyapp.test/o/{slug}" in poster.text and "<svg" in poster.text
    assert "For police staff" in poster.text
    resp = client.post(f"/rounds/{round_id}/links/{link_id}/deactivate", data={"csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(OpenLink, link_id).active is False
    assert client.get(f"/o/{slug}").status_code in (404, 410)  # no longer answering


def test_status_page_counts(app, client, lead, make_round):
    round_id = make_round(
        "R", open_=True, partner_type_slugs=["school", "police"], locality_names=["North", "South"]
    )
    upload(client, round_id, CSV_GOOD)
    with app.app_context():
        invitations = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
        today = invitations[0].created_at.date()
        invitations[0].started_on = today
        invitations[0].completed_on = today
        invitations[2].started_on = today
        school = invitations[0].partner_type_id
        db.session.add(
            Response(round_id=round_id, partner_type_id=school, channel="open", submitted_on=today)
        )
        db.session.commit()
    page = client.get(f"/rounds/{round_id}/status/table").text
    row = re.search(r'<th scope="row">School</th>(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="num">(?:<meter[^>]*></meter>)?([^<]*)</td>', row) == [
        "2",
        "2",
        "1",
        "50%",
        "1",
    ]
    assert "Responses from every channel: <strong>1</strong>" in page


def test_close_publish_and_public_summary(app, client, lead, make_round):
    round_id = make_round(
        "Spring", open_=True, partner_type_slugs=["school", "police", "gp"], min_group_size=5
    )
    add_open_responses(app, round_id, [("school", 12, 4), ("police", 7, 4), ("gp", 3, 4)])
    with app.app_context():
        from surveyapp.services.rounds import create_open_link

        slug = create_open_link(db.session.get(Round, round_id)).slug
        db.session.commit()
    token = form_data(client, f"/rounds/{round_id}")
    assert client.get(f"/results/{slug}").status_code == 404
    resp = client.post(
        f"/rounds/{round_id}/publish", data={"csrf_token": token, "actions_text": "We will act."}
    )
    assert resp.status_code == 400 and "Close the round before publishing" in resp.text
    client.post(f"/rounds/{round_id}/close", data={"csrf_token": token})
    resp = client.post(
        f"/rounds/{round_id}/publish", data={"csrf_token": token, "actions_text": "  "}
    )
    assert resp.status_code == 400 and "Enter what you will do" in resp.text
    resp = client.post(
        f"/rounds/{round_id}/publish",
        data={
            "csrf_token": token,
            "actions_text": "We will send a contact list.\r\n\r\nWe will train.",
        },
    )
    assert resp.status_code == 302
    public = client.get(f"/results/{slug}")
    assert public.status_code == 200
    assert "22 people answered." in public.text
    cells = dict(re.findall(r"<tr><td>(\w+)</td><td class=\"num\">(.*?)</td></tr>", public.text))
    # GP (3) is below 5; police (7) is hidden too, or 22 - 12 would give GP's number away;
    # both with the report's one label, which does not say which of them is the small one
    assert cells == {
        "School": "12",
        "Police": "fewer than 5 or withheld",
        "GP": "fewer than 5 or withheld",
    }
    assert "<p>We will send a contact list.</p>" in public.text
    assert "<p>We will train.</p>" in public.text


def test_published_summary_leads_with_headline_findings_from_the_analysis(app, client, lead):
    from surveyapp.services.demo import CLOSED_TITLE, load_demo
    from surveyapp.services.rounds import create_open_link, publish_round

    with app.app_context():
        load_demo()
        closed = db.session.scalar(sa.select(Round).where(Round.title == CLOSED_TITLE))
        publish_round(closed, "We will share the contact list.")
        slug = create_open_link(closed).slug
        db.session.commit()
    page = client.get(f"/results/{slug}").text
    section = re.search(r"<h2>You said</h2>\s*<ul class=\"findings\">(.*?)</ul>", page, re.S)
    assert section, "the summary has no headline findings"
    findings = re.findall(r"<li>(.*?)</li>", section.group(1))
    # three biggest gaps, then what changed most since the previous spring's demo round
    assert len(findings) == 4
    assert "since Demo: partner survey, previous spring" in findings[3]
    assert not any("since" in f for f in findings[:3])
    assert all("%" in f for f in findings)
    # Groups below the minimum (domestic abuse service: 7, other: 4) never appear.
    assert not any("domestic abuse" in f.lower() or "other" in f.lower() for f in findings)
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(.*?)</td></tr>", page))
    assert rows["School"] == "95"
    assert rows["Domestic abuse service"] == rows["Other"] == "fewer than 10 or withheld"


def test_round_form_shows_every_problem_at_once(app, client, lead):
    """Five mistakes, one submission: the summary lists all five, each linked to its field."""
    token = form_data(client, "/rounds/new")
    resp = client.post(
        "/rounds/new",
        data=new_round_data(
            token,
            title="",
            min_group_size="ten",
            opens_on="2026-12-10",
            closes_on="2026-12-01",
            signpost_pathways_url="javascript:alert(1)",
            invitation_body="Hello, no link here",
        ),
    )
    assert resp.status_code == 400
    summary = re.search(r'<div class="error-summary".*?</div>', resp.text, re.S).group(0)
    assert "autofocus" in summary
    links = re.findall(r'<a href="#([^"]+)">', summary)
    assert sorted(links) == sorted(
        ["title", "closes_on", "min_group_size", "signpost_pathways_url", "invitation_body"]
    ), links
    with app.app_context():
        assert count(Round) == 0


def test_locality_differing_only_in_case_is_the_same_locality(app, client, lead):
    token = form_data(client, "/rounds/new")
    resp = client.post("/rounds/new", data=new_round_data(token, new_localities="North, NORTH"))
    assert resp.status_code == 302
    token = form_data(client, "/rounds/new")
    resp = client.post(
        "/rounds/new",
        data=new_round_data(token, title="Second", localities=["North"], new_localities="north "),
    )
    assert resp.status_code == 302
    with app.app_context():
        from surveyapp.models import Locality

        assert [loc.name for loc in db.session.scalars(sa.select(Locality))] == ["North"]
        for round_ in db.session.scalars(sa.select(Round)):
            assert [loc.name for loc in round_.localities] == ["North"]


def test_close_and_delete_ask_first(app, client, lead, make_round):
    opened = make_round("Open", open_=True, closes_on=date.today() + timedelta(days=10))
    draft = make_round("Draft")
    page = client.get(f"/rounds/{opened}")
    assert f'href="/rounds/{opened}/close"' in page.text
    page = client.get(f"/rounds/{opened}/close")
    assert page.status_code == 200 and "Yes, close the round" in page.text
    assert "You can reopen the round until its planned closing date" in page.text
    page = client.get(f"/rounds/{draft}/delete")
    assert page.status_code == 200 and "It cannot be undone" in page.text
    with app.app_context():  # asking changed nothing
        assert db.session.get(Round, opened).status == "open"
        assert db.session.get(Round, draft) is not None
    token = csrf_token_from(page.text)
    resp = client.post(f"/rounds/{opened}/close", data={"csrf_token": token})
    assert resp.status_code == 302
    resp = client.post(f"/rounds/{draft}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Round, opened).status == "closed"
        assert db.session.get(Round, draft) is None


def test_reopen_within_the_closing_date_and_the_real_closing_date_is_shown(
    app, client, lead, make_round
):
    from surveyapp.services.rounds import close_round, publish_round

    planned = date.today() + timedelta(days=10)
    round_id = make_round("Early", open_=True, closes_on=planned)
    expired = make_round("Expired", open_=True)
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        close_round(round_)
        publish_round(round_, "We will act.")
        db.session.commit()
        old = db.session.get(Round, expired)
        close_round(old)
        old.closes_on = date.today() - timedelta(days=1)
        old.closed_at = datetime(2026, 1, 2, 12)
        db.session.commit()
    slug = make_open_link(app, round_id)
    today = format_date(date.today())
    page = client.get(f"/o/{slug}")
    assert page.status_code == 410
    assert f"closed on {today}" in page.text and format_date(planned) not in page.text
    assert f"closed {today}" in client.get(f"/rounds/{round_id}").text

    show = client.get(f"/rounds/{expired}").text
    assert "Reopen the round" not in show and "closed 2 January 2026" in show
    token = csrf_token_from(show)
    resp = client.post(f"/rounds/{expired}/reopen", data={"csrf_token": token}, follow_redirects=1)
    assert "closing date has passed" in resp.text

    assert "Reopen the round" in client.get(f"/rounds/{round_id}").text
    resp = client.post(f"/rounds/{round_id}/reopen", data={"csrf_token": token})
    assert resp.status_code == 302
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert round_.status == "open" and round_.closed_at is None
        assert round_.published_at is None  # the figures will change, so the summary came down
        assert db.session.get(Round, expired).status == "closed"
        assert db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "round.reopen"))
    assert client.get(f"/o/{slug}").status_code == 200


def test_forgiving_csv_headers_and_partner_type_labels(app, client, lead, make_round):
    round_id = make_round(
        "Forgiving",
        open_=True,
        partner_type_slugs=["school", "health_visiting"],
        locality_names=["North", "South East"],
    )
    content = (
        b" E-mail ,Partner type,LOCALITY\n"
        b"a@x.example,health visiting,north\n"
        b"b@x.example,Health visiting,south east\n"
        b"c@x.example,health_visiting,\n"
        b"d@x.example,SCHOOL,South-East\n"
    )
    resp = upload(client, round_id, content)
    assert resp.status_code == 302
    with app.app_context():
        got = {
            i.email: (i.partner_type.slug, i.locality.name if i.locality else None)
            for i in db.session.scalars(sa.select(Invitation))
        }
    assert got == {
        "a@x.example": ("health_visiting", "North"),
        "b@x.example": ("health_visiting", "South East"),
        "c@x.example": ("health_visiting", None),
        "d@x.example": ("school", "South East"),
    }
    bad = upload(client, round_id, b"Email,Partner Type\ne@x.example,health visitor\n")
    assert bad.status_code == 400
    assert (
        "partner type &#39;health visitor&#39; is not part of this round "
        "(use one of: School (school), Health visiting (health_visiting))" in bad.text
    )
    with app.app_context():
        assert count(Invitation) == 4  # all or nothing: the bad file added nobody


def test_participant_table_resend_remove_and_erase_one_address(app, client, lead, make_round):
    from datetime import date as day

    round_id = make_round(
        "People",
        open_=True,
        partner_type_slugs=["school", "police"],
        locality_names=["North", "South"],
    )
    upload(client, round_id, CSV_GOOD)
    token = form_data(client, f"/rounds/{round_id}/invitations")
    client.post(f"/rounds/{round_id}/invitations/send", data={"csrf_token": token})
    with app.app_context():
        inv = {i.email: i for i in db.session.scalars(sa.select(Invitation))}
        inv["ann@school.example"].completed_on = day.today()
        inv["cat@school.example"].started_on = day.today()
        ids = {email: i.id for email, i in inv.items()}
        db.session.commit()
    page = client.get(f"/rounds/{round_id}/participants")
    assert page.status_code == 200
    rows = re.findall(r'<th scope="row">([^<]+)</th>.*?class="tag tag-(\w+)"', page.text, re.S)
    assert rows == [
        ("ann@school.example", "completed"),
        ("bob@police.example", "sent"),
        ("cat@school.example", "started"),
    ]
    assert "bob@police.example" in client.get(f"/rounds/{round_id}/participants?q=POLICE").text
    assert "ann@" not in client.get(f"/rounds/{round_id}/participants?q=police").text

    resp = client.post(
        f"/rounds/{round_id}/participants/{ids['bob@police.example']}/resend",
        data={"csrf_token": token},
    )
    assert resp.status_code == 302
    # removing someone who completed is refused; someone who did not is removed
    page = client.get(f"/rounds/{round_id}/participants/{ids['cat@school.example']}/remove")
    assert "Remove cat@school.example from this round?" in page.text
    client.post(
        f"/rounds/{round_id}/participants/{ids['ann@school.example']}/remove",
        data={"csrf_token": token},
    )
    client.post(
        f"/rounds/{round_id}/participants/{ids['cat@school.example']}/remove",
        data={"csrf_token": token},
    )
    page = client.get(f"/rounds/{round_id}/participants/{ids['ann@school.example']}/erase")
    assert page.status_code == 200 and "cannot be undone" in page.text
    client.post(
        f"/rounds/{round_id}/participants/{ids['ann@school.example']}/erase",
        data={"csrf_token": token},
    )
    with app.app_context():
        left = {i.id: i.email for i in db.session.scalars(sa.select(Invitation))}
        bob = "bob@police.example"
        assert left == {ids["ann@school.example"]: None, ids[bob]: bob}
        kinds = sorted((m.to_addr, m.status) for m in db.session.scalars(sa.select(OutboxMessage)))
        # ann's and cat's emails are gone; bob has his first (sent) and the resent (pending)
        assert kinds == [("bob@police.example", "pending"), ("bob@police.example", "sent")]
        events = {e.action: e.detail for e in db.session.scalars(sa.select(AuditEvent))}
        assert events["invitation.erase_email"]["invitation_id"] == ids["ann@school.example"]
        assert "ann@" not in str(events)
        assert "invitation.remove" in events and "invitation.resend" in events
    page = client.get(f"/rounds/{round_id}/participants").text
    assert "Address erased" in page and "cat@school.example" not in page


def test_publishing_an_invitation_only_round_gives_the_summary_an_address(
    app, client, lead, make_round
):
    from surveyapp.services.rounds import close_round

    round_id = make_round("Invited only", open_=True)
    with app.app_context():
        close_round(db.session.get(Round, round_id))
        db.session.commit()
    token = form_data(client, f"/rounds/{round_id}/publish")
    resp = client.post(
        f"/rounds/{round_id}/publish",
        data={"csrf_token": token, "actions_text": "We will run joint training."},
        follow_redirects=True,
    )
    assert "The summary is published" in resp.text
    slug = re.search(r'href="/results/([^"]+)"', resp.text).group(1)
    with app.app_context():
        link = db.session.scalar(sa.select(OpenLink).where(OpenLink.round_id == round_id))
        assert link.slug == slug and link.active is False  # an address, taking no answers
    summary = client.get(f"/results/{slug}")
    assert summary.status_code == 200 and "joint training" in summary.text
    assert client.get(f"/o/{slug}").status_code in (404, 410)


def test_leads_are_warned_when_no_privacy_notice_is_set(app, client, lead, make_round):
    round_id = make_round("R")
    assert "No privacy notice is configured" in client.get("/").text
    assert "No privacy notice is configured" in client.get(f"/rounds/{round_id}").text
    app.config["PRIVACY_NOTICE_URL"] = "https://council.example/privacy"
    assert "No privacy notice is configured" not in client.get("/").text


def test_accessibility_statement_contact_and_dates(app, client):
    page = client.get("/accessibility").text
    assert "contact the early help team who sent you the link" in page
    assert "Preparation of this accessibility statement" not in page
    app.config.update(
        ACCESSIBILITY_CONTACT="access@council.example",
        ACCESSIBILITY_PREPARED_ON=date(2026, 9, 1),
        ACCESSIBILITY_REVIEWED_ON=date(2026, 11, 20),
    )
    page = client.get("/accessibility").text
    assert '<a href="mailto:access@council.example">access@council.example</a>' in page
    assert "prepared on 1 September 2026" in page and "last reviewed on 20 November 2026" in page


def test_preview_shows_each_about_question_with_what_the_round_offers(client, lead, make_round):
    round_id = make_round(partner_type_slugs=["school", "police"], locality_names=[])
    page = client.get(f"/rounds/{round_id}/preview").text
    about = page[page.index("<h2>About you</h2>") : page.index("</form>")]
    about = about[: about.index("<h2>", 5)]
    legends = re.findall(r"<legend>(.*?)</legend>", about)
    assert legends == [
        "Which kind of organisation do you work for?",
        "Which area do you mostly work in? (optional)",
        "What is your role? (optional)",
        "Have you done multi-agency early-help training in the last 12 months? (optional)",
    ]
    labels = re.findall(r'<label for="p-partner_type-\d+">(.*?)</label>', about)
    assert sorted(labels) == ["Police", "School"]
    # No localities in this round: the locality question says so.
    assert about.count("Not asked in this round.") == 1
    assert re.findall(r'<label for="p-training-\d+">(.*?)</label>', about) == [
        "Yes",
        "No",
        "Not sure",
    ]
