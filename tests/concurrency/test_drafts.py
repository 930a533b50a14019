"""Drafts saved concurrently: pages saved at the same moment from several tabs or a flaky phone
never lose each other's answers (no lost update), on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import threading

from surveyapp.extensions import db
from surveyapp.services import submissions as svc
from tests.web.respond_helpers import PAGES, make_invitation

ROUNDS = 8


def _save_at_once(app, token: str, posts: list[tuple[int, dict[str, list[str]]]]) -> list[str]:
    """Save each (step number, form) from its own thread and session, all released together."""
    barrier = threading.Barrier(len(posts))
    outcomes: list[str] = [""] * len(posts)

    def save(index: int, number: int, form: dict[str, list[str]]) -> None:
        with app.app_context():
            try:
                respondent = svc.for_invitation(token)
                step = svc.steps(respondent)[number - 1]
                barrier.wait(timeout=30)
                svc.save_page(respondent, step, form, resume_at=number)
                db.session.commit()
                outcomes[index] = "saved"
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                db.session.rollback()
                outcomes[index] = repr(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=save, args=(i, n, f)) for i, (n, f) in enumerate(posts)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


def test_pages_saved_at_once_keep_every_answer(app, make_round):
    """Six domain pages saved at the same instant: all fifteen answers survive, every time."""
    rid = make_round(open_=True)
    for n in range(ROUNDS):
        token = make_invitation(app, rid, email=f"p{n}@example.org")
        posts = [
            (page_no, {item: [str(1 + (n + k) % 5)] for k, item in enumerate(items)})
            for page_no, items in enumerate(PAGES, start=2)
        ]
        assert _save_at_once(app, token, posts) == ["saved"] * len(posts)
        expected = {item: values[0] for _, form in posts for item, values in form.items()}
        with app.app_context():
            state = svc.load_draft(svc.for_invitation(token))
            assert state.answers == expected, (
                f"round {n}: lost {set(expected) - set(state.answers)}"
            )


def test_same_page_saved_at_once_keeps_one_whole_save(app, make_round):
    """Four saves of one page with different answers, plus a save of another page: the page
    ends as exactly one request sent it (never a mixture), and the other page is kept."""
    rid = make_round(open_=True)
    for n in range(ROUNDS):
        token = make_invitation(app, rid, email=f"q{n}@example.org")
        same_page = [
            {"path_children": ["1"]},
            {"path_parents": ["2"], "path_request": ["dk"]},
            {"path_advice": ["5"]},
            {"path_children": ["3"], "path_advice": ["4"]},
        ]
        posts = [(3, form) for form in same_page] + [(2, {"comm_partners": ["4"]})]
        assert _save_at_once(app, token, posts) == ["saved"] * len(posts)
        with app.app_context():
            answers = svc.load_draft(svc.for_invitation(token)).answers
        assert answers.pop("comm_partners") == "4"
        assert answers in [{k: v[0] for k, v in form.items()} for form in same_page]


def test_pages_saved_at_once_over_http(app, make_round):
    """What respond.js does in several tabs of the one-page form at once: each background save
    (HTTP 204) lands, and the person resumes with every answer."""
    rid = make_round(open_=True)
    for n in range(ROUNDS):
        token = make_invitation(app, rid, email=f"h{n}@example.org")
        barrier = threading.Barrier(len(PAGES))
        statuses: list[int] = []

        def save(
            page_no: int, items: list[str], token=token, barrier=barrier, statuses=statuses
        ) -> None:
            client = app.test_client()
            page = client.get(f"/s/{token}")
            data = {
                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1),
                **{item: "dk" for item in items},
            }
            barrier.wait(timeout=30)
            statuses.append(client.post(f"/s/{token}/draft", data=data).status_code)

        threads = [
            threading.Thread(target=save, args=(page_no, items))
            for page_no, items in enumerate(PAGES, start=2)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert statuses == [204] * len(PAGES)
        with app.app_context():
            answers = svc.load_draft(svc.for_invitation(token)).answers
        assert answers == {item: "dk" for page in PAGES for item in page}
