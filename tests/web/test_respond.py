"""Answering a round over HTTP, without JavaScript: both kinds of link, drafts, idempotent
submission, bad input and the friendly problem pages."""

from __future__ import annotations

import gzip
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, Draft, Invitation, Response, Round, SubmissionReceipt
from surveyapp.services.rounds import close_round
from tests.conftest import count
from tests.web.respond_helpers import (
    PAGES,
    SIGNPOSTS,
    answer_all,
    csrf,
    make_invitation,
    make_open_link,
)

ALL_ITEMS = [i for page in PAGES for i in page]
#: Agree with everything except: path_parents disagree (pathways), thr_step don't know
#: (thresholds); communication all agree -> signposts for pathways and thresholds only.
VALUES = {i: "4" for i in ALL_ITEMS} | {"path_parents": "2", "thr_step": "dk", "lead_role": "5"}


def test_invitation_end_to_end(app, client, make_round):
    rid = make_round(open_=True, signposts=SIGNPOSTS, results_message="Results in March.")
    token = make_invitation(app, rid)
    intro = client.get(f"/s/{token}")
    assert intro.status_code == 200
    assert "anonymous" in intro.text and "3 minutes" in intro.text
    # The token never goes to another site (same-origin; see surveyapp/security.py).
    assert intro.headers["Referrer-Policy"] == "same-origin"
    resp = answer_all(
        client,
        f"/s/{token}",
        VALUES,
        {"role_level": "manager", "training": "no"},
        comment="More joint training",
    )
    assert resp.headers["Location"] == f"/s/{token}/done"
    done = client.get(resp.headers["Location"])
    assert done.status_code == 200
    assert "Find early-help services for parents" in done.text
    assert "Read the continuum of need" in done.text
    assert "Meet the early-help team" not in done.text
    assert "Results in March." in done.text
    with app.app_context():
        response = db.session.scalar(sa.select(Response))
        assert (
            response.channel,
            response.partner_type.slug,
            response.role_level,
            response.training,
            response.comment,
        ) == ("invite", "police", "manager", "no", "More joint training")
        assert isinstance(response.submitted_on, date)
        answers = {a.item_id: (a.value, a.dont_know) for a in response.answers}
        assert len(answers) == 15
        assert answers["path_parents"] == (2, False) and answers["thr_step"] == (None, True)
        assert answers["lead_role"] == (5, False)
        invitation = db.session.scalar(sa.select(Invitation))
        assert invitation.drafted_on == response.submitted_on == invitation.started_on
        assert invitation.completed_on is None  # the submission wrote nothing to it
        assert count(Draft) == 0 and count(SubmissionReceipt) == 0  # invitations: claim, no receipt
        assert db.session.get(Round, rid).data_version == 1
    again = client.get(f"/s/{token}")
    assert again.status_code == 409 and "already answered" in again.text


def test_resent_final_post_leaves_one_response(app, client, make_round):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    last_page_token = csrf(client.get(f"/s/{token}/7").text)
    answer_all(client, f"/s/{token}", VALUES, {})
    resent = client.post(
        f"/s/{token}/7", data={"csrf_token": last_page_token, "action": "submit", "lead_role": "1"}
    )
    assert resent.status_code == 303 and resent.headers["Location"] == f"/s/{token}/done"
    with app.app_context():
        assert count(Response) == 1
        assert db.session.scalar(sa.select(Answer.value).where(Answer.item_id == "lead_role")) == 5
        assert db.session.get(Round, rid).data_version == 1


def test_open_link_asks_partner_type_first_and_resumes_through_cookie(app, client, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    slug = make_open_link(app, rid)
    intro = client.get(f"/o/{slug}")
    cookie = intro.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and f"Path=/o/{slug}" in cookie
    about = client.get(f"/o/{slug}/1").text
    assert about.index('name="partner_type"') < about.index('name="role_level"')
    assert 'value="gp"' not in about  # only the round's partner types are offered
    token = csrf(about)
    client.post(f"/o/{slug}/1", data={"csrf_token": token, "partner_type": "school"})
    client.post(f"/o/{slug}/2", data={"csrf_token": token, "comm_partners": "3"})
    # Signal lost, tab closed: reopening the link goes back to page 2 with the answer kept.
    back = client.get(f"/o/{slug}")
    assert back.status_code == 303 and back.headers["Location"] == f"/o/{slug}/2"
    page = client.get(f"/o/{slug}/2").text
    assert 'value="3" checked' in page and "Welcome back" in page
    # Missing answers on Continue: 422, a message next to each, the given answer kept.
    resp = client.post(
        f"/o/{slug}/2",
        data={"csrf_token": token, "action": "next", "comm_partners": "3", "comm_roles": "dk"},
    )
    assert resp.status_code == 422
    assert resp.text.count('class="error-message"') == 1 and 'href="#comm_feedback-1"' in resp.text
    assert 'value="dk" checked' in resp.text and 'value="3" checked' in resp.text
    answer_all(client, f"/o/{slug}", VALUES, {"partner_type": "school"})
    with app.app_context():
        response = db.session.scalar(sa.select(Response))
        assert (response.channel, response.partner_type.slug) == ("open", "school")
        assert count(Response) == 1 and count(Draft) == 0
    assert client.get(f"/o/{slug}").status_code == 409


def test_open_link_fixed_to_partner_type_does_not_ask(app, client, make_round):
    rid = make_round(open_=True)
    slug = make_open_link(app, rid, partner_type="police")
    about = client.get(f"/o/{slug}/1").text
    assert 'name="partner_type"' not in about
    answer_all(client, f"/o/{slug}", VALUES, {})
    with app.app_context():
        assert db.session.scalar(sa.select(Response)).partner_type.slug == "police"


def test_problem_pages(app, client, make_round):
    assert client.get("/s/" + "x" * 43).status_code == 404
    assert client.get("/o/nope").status_code == 404
    draft = make_round()
    page = client.get(f"/s/{make_invitation(app, draft)}")
    assert page.status_code == 403 and "not open yet" in page.text
    later = make_round(open_=True, opens_on=date.today() + timedelta(days=5))
    assert client.get(f"/s/{make_invitation(app, later, email='b@example.org')}").status_code == 403
    past_closing = make_round(open_=True)
    closed = make_round(open_=True)
    slug = make_open_link(app, closed)
    with app.app_context():
        db.session.get(Round, past_closing).closes_on = date.today() - timedelta(days=2)
        close_round(db.session.get(Round, closed))
        db.session.get(Round, closed).published_at = datetime(2026, 1, 5)
        db.session.commit()
    page = client.get(f"/s/{make_invitation(app, past_closing, email='c@example.org')}/2")
    assert page.status_code == 410 and "has closed" in page.text
    page = client.get(f"/o/{slug}")
    assert page.status_code == 410 and f'href="/results/{slug}"' in page.text


def test_bad_input_is_refused_and_writes_nothing(app, client, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    token = make_invitation(app, rid)
    slug = make_open_link(app, rid)
    csrf_token = csrf(client.get(f"/s/{token}/2").text)
    base = {
        "csrf_token": csrf_token,
        "action": "next",
        "comm_partners": "4",
        "comm_feedback": "4",
        "comm_roles": "4",
    }
    cases = [
        (f"/s/{token}/2", base | {"evil_item": "4"}, 400),
        (f"/s/{token}/2", base | {"comm_partners": "6"}, 400),
        (f"/s/{token}/2", base | {"comm_partners": "0"}, 400),
        (f"/s/{token}/2", {k: v for k, v in base.items() if k != "csrf_token"}, 400),
        (f"/s/{token}/2", base | {"csrf_token": "wrong"}, 400),
        (f"/s/{token}/2", base | {"action": "submit"}, 400),
        (f"/s/{token}/2", base | {"comm_roles": "x" * 40_000}, 413),
        (f"/o/{slug}/1", {"csrf_token": csrf_token, "partner_type": "gp"}, 400),
    ]
    for url, data, status in cases:
        resp = client.post(url, data=data)
        assert resp.status_code == status, (url, data.keys(), resp.status_code)
        assert "Traceback" not in resp.text
    with app.app_context():
        assert count(Draft) == 0 and count(Response) == 0
        assert db.session.scalar(sa.select(Invitation.started_on)) is None


def test_open_link_submissions_are_rate_limited(app, client, make_round):
    app.config["OPEN_LINK_SUBMIT_RATE_LIMIT"] = "2 per minute"
    rid = make_round(open_=True)
    slug = make_open_link(app, rid, partner_type="police")
    for expected in (303, 303, 429):
        client.delete_cookie("respondent", path=f"/o/{slug}")
        token = csrf(client.get(f"/o/{slug}/7").text)
        resp = client.post(
            f"/o/{slug}/7", data={"csrf_token": token, "action": "submit", "lead_role": "4"}
        )
        assert resp.status_code == expected
    assert "Too many attempts" in resp.text


def test_pages_are_gzipped_and_small(app, client, make_round):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    resp = client.get(f"/s/{token}/3", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(resp.data).decode()
    assert html.count('type="radio"') == 4 * 6 and "Page 3 of 7" in html
    assert len(resp.data) < 4000
    assert 'href="/accessibility"' in html


def test_background_save_keeps_answers_without_moving_on(app, client, make_round):
    """What respond.js sends when the phone is put away: saved, 204, same page on return."""
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    token_csrf = csrf(client.get(f"/s/{token}/3").text)
    resp = client.post(
        f"/s/{token}/3", data={"csrf_token": token_csrf, "action": "save", "path_children": "1"}
    )
    assert resp.status_code == 204 and resp.data == b""
    back = client.get(f"/s/{token}")
    assert back.headers["Location"] == f"/s/{token}/3"
    with app.app_context():
        assert db.session.scalar(sa.select(Draft)).data["answers"] == {"path_children": "1"}
        assert db.session.scalar(sa.select(Invitation.started_on)) is not None
