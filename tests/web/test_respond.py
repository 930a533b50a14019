"""Answering a round over HTTP, without JavaScript: both kinds of link, drafts, idempotent
submission, bad input and the friendly problem pages."""

from __future__ import annotations

import gzip
from datetime import date, timedelta

import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import Answer, Draft, Invitation, Response, Round, SubmissionReceipt
from tests.conftest import count
from tests.web.respond_helpers import PAGES, SIGNPOSTS, answer_all, csrf, make_invitation, make_open_link

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
    assert intro.headers["Referrer-Policy"] == "no-referrer"
    resp = answer_all(client, f"/s/{token}", VALUES, {"role_level": "manager", "training": "no"},
                      comment="More joint training")
    assert resp.headers["Location"] == f"/s/{token}/done"
    done = client.get(resp.headers["Location"])
    assert done.status_code == 200
    assert "Find early-help services for parents" in done.text
    assert "Read the continuum of need" in done.text
    assert "Meet the early-help team" not in done.text
    assert "Results in March." in done.text
    with app.app_context():
        response = db.session.scalar(sa.select(Response))
        assert (response.channel, response.partner_type.slug, response.role_level,
                response.training, response.comment) == ("invite", "police", "manager", "no",
                                                         "More joint training")
        assert isinstance(response.submitted_on, date)
        answers = {a.item_id: (a.value, a.dont_know) for a in response.answers}
        assert len(answers) == 15
        assert answers["path_parents"] == (2, False) and answers["thr_step"] == (None, True)
        assert answers["lead_role"] == (5, False)
        invitation = db.session.scalar(sa.select(Invitation))
        assert invitation.completed_on == response.submitted_on == invitation.started_on
        assert count(Draft) == 0 and count(SubmissionReceipt) == 1
        assert db.session.get(Round, rid).data_version == 1
    again = client.get(f"/s/{token}")
    assert again.status_code == 409 and "already answered" in again.text


def test_resent_final_post_leaves_one_response(app, client, make_round):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    last_page_token = csrf(client.get(f"/s/{token}/7").text)
    answer_all(client, f"/s/{token}", VALUES, {})
    resent = client.post(f"/s/{token}/7", data={"csrf_token": last_page_token,
                                                "action": "submit", "lead_role": "1"})
    assert resent.status_code == 303 and resent.headers["Location"] == f"/s/{token}/done"
    with app.app_context():
        assert count(Response) == 1
        assert db.session.scalar(sa.select(Answer.value).where(Answer.item_id == "lead_role")) == 5
        assert db.session.get(Round, rid).data_version == 1
