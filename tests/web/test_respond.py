"""Answering a round over HTTP, without JavaScript: the one-page form on both kinds of link,
drafts ("Save and finish later" and the background save), the error summary, idempotent
submission, bad input, the old per-page addresses and the friendly problem pages."""

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
    # Everything on one page: 4 about-you radio groups' worth of questions and all 15 statements.
    assert intro.text.count("<legend><h2>") == 7 and 'name="lead_role"' in intro.text
    assert 'name="role_level"' in intro.text and intro.text.count('value="submit"') == 1
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
    form_token = csrf(client.get(f"/s/{token}").text)
    answer_all(client, f"/s/{token}", VALUES, {})
    resent = client.post(
        f"/s/{token}",
        data={"csrf_token": form_token, "action": "submit", **VALUES, "lead_role": "1"},
    )
    assert resent.status_code == 303 and resent.headers["Location"] == f"/s/{token}/done"
    with app.app_context():
        assert count(Response) == 1
        assert db.session.scalar(sa.select(Answer.value).where(Answer.item_id == "lead_role")) == 5
        assert db.session.get(Round, rid).data_version == 1


def test_open_link_asks_partner_type_first_and_resumes_through_cookie(app, client, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    slug = make_open_link(app, rid)
    form = client.get(f"/o/{slug}")
    cookie = form.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and f"Path=/o/{slug}" in cookie
    assert form.text.index('name="partner_type"') < form.text.index('name="role_level"')
    assert 'value="gp"' not in form.text  # only the round's partner types are offered
    token = csrf(form.text)
    # Submit with 2 of 15 statements answered: 422, a summary linking to each of the 13
    # missing statements, the given answers kept and saved.
    resp = client.post(
        f"/o/{slug}",
        data={
            "csrf_token": token,
            "action": "submit",
            "partner_type": "school",
            "comm_partners": "3",
            "comm_roles": "dk",
        },
    )
    assert resp.status_code == 422
    assert resp.text.count('class="error-message"') == 13
    summary = resp.text[resp.text.index("error-summary") : resp.text.index("</ul>")]
    assert summary.count("<li>") == 13 and 'href="#comm_feedback-1"' in summary
    assert 'href="#comm_partners-1"' not in summary and 'href="#role_level-1"' not in summary
    assert 'value="dk" checked' in resp.text and 'value="3" checked' in resp.text
    # Signal lost, tab closed: reopening the link shows the same answers.
    back = client.get(f"/o/{slug}")
    assert back.status_code == 200 and "Welcome back" in back.text
    assert 'value="school" checked' in back.text and 'value="3" checked' in back.text
    answer_all(client, f"/o/{slug}", VALUES, {"partner_type": "school"})
    with app.app_context():
        response = db.session.scalar(sa.select(Response))
        assert (response.channel, response.partner_type.slug) == ("open", "school")
        assert count(Response) == 1 and count(Draft) == 0
    assert client.get(f"/o/{slug}").status_code == 409


def test_save_and_finish_later_without_javascript(app, client, make_round):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    form_token = csrf(client.get(f"/s/{token}").text)
    half = {i: VALUES[i] for i in ALL_ITEMS[:7]}
    saved = client.post(
        f"/s/{token}",
        data={"csrf_token": form_token, "action": "save", "role_level": "manager", **half},
    )
    assert saved.status_code == 200 and "Your answers are saved" in saved.text
    assert f"http://localhost/s/{token}" in saved.text
    back = client.get(f"/s/{token}").text
    assert "Welcome back" in back and 'value="manager" checked' in back
    assert back.count(" checked>") == 8
    with app.app_context():
        assert count(Response) == 0
        assert db.session.scalar(sa.select(Draft)).data["answers"] == half


def test_old_page_addresses_lead_to_the_form(app, client, make_round):
    """Links and tabs from before the one-page form: GET redirects, a POST keeps its answers."""
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    slug = make_open_link(app, rid, partner_type="police")
    for url, target in ((f"/s/{token}/3", f"/s/{token}"), (f"/o/{slug}/1", f"/o/{slug}")):
        resp = client.get(url)
        assert resp.status_code == 301 and resp.headers["Location"] == target
    form_token = csrf(client.get(f"/s/{token}").text)
    resp = client.post(
        f"/s/{token}/3", data={"csrf_token": form_token, "action": "next", "path_children": "2"}
    )
    assert resp.status_code == 303 and resp.headers["Location"] == f"/s/{token}"
    gone = client.post(f"/s/{token}/99", data={"csrf_token": form_token})
    assert gone.status_code == 303 and gone.headers["Location"] == f"/s/{token}"
    assert 'value="2" checked' in client.get(f"/s/{token}").text


def test_open_link_fixed_to_partner_type_does_not_ask(app, client, make_round):
    rid = make_round(open_=True)
    slug = make_open_link(app, rid, partner_type="police")
    assert 'name="partner_type"' not in client.get(f"/o/{slug}").text
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
    page = client.get(f"/s/{make_invitation(app, past_closing, email='c@example.org')}")
    assert page.status_code == 410 and "has closed" in page.text
    page = client.get(f"/o/{slug}")
    assert page.status_code == 410 and f'href="/results/{slug}"' in page.text


def test_bad_input_is_refused_and_writes_nothing(app, client, make_round):
    rid = make_round(open_=True, partner_type_slugs=["school", "police"])
    token = make_invitation(app, rid)
    slug = make_open_link(app, rid)
    csrf_token = csrf(client.get(f"/s/{token}").text)
    base = {
        "csrf_token": csrf_token,
        "action": "submit",
        "comm_partners": "4",
        "comm_feedback": "4",
        "comm_roles": "4",
    }
    cases = [
        (f"/s/{token}", base | {"evil_item": "4"}, 400),
        (f"/s/{token}", base | {"comm_partners": "6"}, 400),
        (f"/s/{token}", base | {"comm_partners": "0"}, 400),
        (f"/s/{token}", {k: v for k, v in base.items() if k != "csrf_token"}, 400),
        (f"/s/{token}", base | {"csrf_token": "wrong"}, 400),
        (f"/s/{token}", base | {"action": "next"}, 400),
        (f"/s/{token}/draft", base | {"comm_partners": "9"}, 400),
        (f"/s/{token}/draft", base | {"csrf_token": "wrong"}, 400),
        (f"/s/{token}", base | {"comm_roles": "x" * 40_000}, 413),
        (f"/o/{slug}", {"csrf_token": csrf_token, "partner_type": "gp"}, 400),
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
        token = csrf(client.get(f"/o/{slug}").text)
        resp = client.post(f"/o/{slug}", data={"csrf_token": token, "action": "submit", **VALUES})
        assert resp.status_code == expected
    assert "Too many attempts" in resp.text


def test_form_is_gzipped_and_small(app, client, make_round):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    resp = client.get(f"/s/{token}", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(resp.data).decode()
    # 15 statements x (5 points + don't know), role level 4 choices, training 3 -> at least 90.
    assert html.count('type="radio"') >= 15 * 6
    assert len(resp.data) < 8000
    assert 'href="/accessibility"' in html


def test_background_save_keeps_answers(app, client, make_round):
    """What respond.js sends as answers change: saved, 204, filled in on return; a later save
    from another tab adds its answers rather than erasing these."""
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    token_csrf = csrf(client.get(f"/s/{token}").text)
    resp = client.post(f"/s/{token}/draft", data={"csrf_token": token_csrf, "path_children": "1"})
    assert resp.status_code == 204 and resp.data == b""
    client.post(f"/s/{token}/draft", data={"csrf_token": token_csrf, "comm_roles": "dk"})
    assert 'value="1" checked' in client.get(f"/s/{token}").text
    with app.app_context():
        answers = db.session.scalar(sa.select(Draft)).data["answers"]
        assert answers == {"path_children": "1", "comm_roles": "dk"}
        assert db.session.scalar(sa.select(Invitation.started_on)) is not None
    answer_all(client, f"/s/{token}", VALUES, {})
    late = client.post(f"/s/{token}/draft", data={"csrf_token": token_csrf, "comm_roles": "1"})
    assert late.status_code == 409


def test_complete_answers_go_in_over_what_was_saved(app, make_round):
    """Submitting every statement at once keeps what the form did not send from the saved
    draft (an optional question answered in another tab), and the answers sent win over
    saved ones; on both kinds of link, with nothing left as a draft afterwards."""
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    slug = make_open_link(app, rid, partner_type="school")
    for base in (f"/s/{token}", f"/o/{slug}"):
        client = app.test_client()
        token_csrf = csrf(client.get(base).text)
        saved = {"csrf_token": token_csrf, "role_level": "manager", "path_parents": "5"}
        assert client.post(f"{base}/draft", data=saved).status_code == 204
        resp = client.post(base, data={"csrf_token": token_csrf, "action": "submit", **VALUES})
        assert resp.status_code == 303 and resp.headers["Location"] == f"{base}/done"
    with app.app_context():
        responses = db.session.scalars(sa.select(Response)).all()
        assert [r.role_level for r in responses] == ["manager", "manager"]
        parents = db.session.scalars(
            sa.select(Answer.value).where(Answer.item_id == "path_parents")
        ).all()
        assert parents == [2, 2]  # sent "2" over the saved "5"
        assert count(Draft) == 0
