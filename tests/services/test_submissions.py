"""The submissions service: drafts, validation and one response per person under concurrency."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    Draft,
    Invitation,
    Response,
    Round,
    SubmissionReceipt,
    invitations,
)
from surveyapp.services import submissions as svc
from tests.conftest import count
from tests.web.respond_helpers import PAGES, make_invitation

ALL_ITEMS = [i for page in PAGES for i in page]


def _complete_state() -> svc.DraftState:
    return svc.DraftState(
        about={"role_level": "frontline"},
        answers={i: str(1 + n % 5) for n, i in enumerate(ALL_ITEMS)},
    )


def test_draft_merges_pages_and_submit_needs_every_item(app, make_round):
    token = make_invitation(app, make_round(open_=True))
    with app.app_context():
        respondent = svc.for_invitation(token)
        steps = svc.steps(respondent)
        assert [s.title for s in steps][:2] == ["About you", "Communication between partners"]
        svc.save_page(respondent, steps[1], {"comm_partners": ["2"]}, resume_at=3)
        state = svc.save_page(respondent, steps[2], {"path_children": ["dk"]}, resume_at=4)
        assert state.answers == {"comm_partners": "2", "path_children": "dk"}
        with pytest.raises(svc.Incomplete) as missing:
            svc.submit(respondent, state)
        assert missing.value.step == 2
        assert set(missing.value.errors) == {"comm_feedback", "comm_roles"}
        with pytest.raises(svc.BadInput):
            svc.save_page(respondent, steps[1], {"path_children": ["4"]}, resume_at=3)
        db.session.commit()
        assert count(Response) == 0 and count(Draft) == 1


def test_submit_writes_response_receipt_and_no_link_to_invitation(app, make_round):
    token = make_invitation(app, make_round(open_=True))
    with app.app_context():
        respondent = svc.for_invitation(token)
        svc.submit(respondent, _complete_state())
        db.session.commit()
        response = db.session.scalar(sa.select(Response))
        # 15 items valued 1,2,3,4,5,1,2,... : three of each value.
        values = sorted(db.session.scalars(sa.select(Answer.value)))
        assert values == [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3 + [5] * 3
        assert response.id > 2**32  # random, not a sequence
        # no receipt: an invitation's guard is its claim and its draft, and nothing stored
        # can be recomputed from the token (or the secret) to find the response
        assert db.session.scalar(sa.select(SubmissionReceipt)) is None
        invitation = db.session.scalar(sa.select(Invitation))
        # nothing written to the invitation by the submission; completion is computed
        assert invitation.drafted_on is not None and invitation.completed_on is None
        assert db.session.scalar(sa.select(sa.func.count()).where(invitations.completed())) == 1
        with pytest.raises(svc.LinkProblem) as again:
            svc.for_invitation(token)
        assert again.value.kind == "completed"


def test_concurrent_submissions_of_one_invitation_leave_one_response(app, make_round):
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    outcomes: list[str] = []

    def attempt() -> None:
        with app.app_context():
            respondent = svc.for_invitation(token)
            barrier.wait()
            try:
                svc.submit(respondent, _complete_state())
                db.session.commit()
                outcomes.append("submitted")
            except svc.AlreadySubmitted:
                db.session.rollback()
                outcomes.append("already")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes) == ["already"] * (threads_n - 1) + ["submitted"]
    with app.app_context():
        assert count(Response) == 1 and count(SubmissionReceipt) == 0
        assert count(Answer) == 15
        assert db.session.get(Round, rid).data_version == 1
