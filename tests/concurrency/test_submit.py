"""One response per person, however "Send" is pressed: from many threads or many worker
processes at the same instant, over and over; and a worker killed half way through a submission
leaves the whole response or nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading

import pytest
import sqlalchemy as sa

from surveyapp.extensions import db
from surveyapp.models import (
    Answer,
    Draft,
    Response,
    Round,
    SubmissionReceipt,
    invitations,
)
from tests.concurrency import workers
from tests.conftest import count
from tests.web.respond_helpers import PAGES, make_invitation, make_open_link

#: Presses of "Send" at the same instant, and how many fresh invitations they are repeated on.
AT_ONCE = 8
#: Worker processes for the cross-process test (each pressing from AT_ONCE / PROCESSES threads).
PROCESSES = 4
THREAD_ROUNDS = 25
PROCESS_ROUNDS = 20
ITEMS = sum(len(page) for page in PAGES)


def _assert_one_response_each(app, rid: int, people: int) -> None:
    """``people`` invitations sent: that many responses, receipts and completions, each response
    with all fifteen answers (values 1..5 three times each), no draft left, counted once."""
    with app.app_context():
        assert count(Response) == people
        assert count(SubmissionReceipt) == 0  # invitations are guarded by claim and draft
        assert count(Answer) == ITEMS * people
        assert count(Draft) == 0
        incomplete = db.session.scalar(
            sa.select(sa.func.count()).select_from(
                sa.select(Answer.response_id)
                .group_by(Answer.response_id)
                .having(sa.func.count() != ITEMS)
                .subquery()
            )
        )
        assert incomplete == 0
        by_value = dict(
            db.session.execute(
                sa.select(Answer.value, sa.func.count()).group_by(Answer.value)
            ).all()
        )
        assert by_value == {v: 3 * people for v in range(1, 6)}
        assert (
            db.session.scalar(
                sa.select(sa.func.count()).where(Response.comment == "More joint training")
            )
            == people
        )
        assert (
            db.session.scalar(sa.select(sa.func.count()).where(invitations.completed())) == people
        )
        assert db.session.get(Round, rid).data_version == people


def test_send_pressed_in_many_threads_at_once(app, make_round):
    rid = make_round(open_=True)
    for n in range(THREAD_ROUNDS):
        token = make_invitation(app, rid, email=f"t{n}@example.org")
        workers.fill_draft(app, token)
        barrier = threading.Barrier(AT_ONCE)
        results: list[tuple[int, str]] = []

        def press(token=token, barrier=barrier, results=results) -> None:
            results.append(workers.send(app, token, barrier))

        threads = [threading.Thread(target=press) for _ in range(AT_ONCE)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert results == [(303, f"/s/{token}/done")] * AT_ONCE
        _assert_one_response_each(app, rid, n + 1)


def _press_at_once(clients, url: str, data: dict[str, str]) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(clients))
    results: list[tuple[int, str]] = []

    def press(client) -> None:
        barrier.wait(timeout=60)
        resp = client.post(url, data=data)
        results.append((resp.status_code, resp.headers.get("Location", "")))

    threads = [threading.Thread(target=press, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def _send_data(page: str) -> dict[str, str]:
    return {
        "csrf_token": workers.csrf(page),
        "action": "submit",
        "role_level": "frontline",
        **workers.ANSWERS,
        "one_thing": "More joint training",
    }


def test_send_pressed_at_once_with_nothing_saved_before(app, make_round):
    """The one-page form sent in one go, with no draft saved before (no JavaScript), pressed
    from many threads at once: for an invitation (its first draft is made by one of them) and
    for one open-link browser (the same cookies in every thread): one whole response each,
    every press ends on the thank-you page, and no draft is left behind."""
    rid = make_round(open_=True)
    for n in range(5):
        token = make_invitation(app, rid, email=f"once{n}@example.org")
        client = app.test_client()
        data = _send_data(client.get(f"/s/{token}").text)
        results = _press_at_once([client] * AT_ONCE, f"/s/{token}", data)
        assert results == [(303, f"/s/{token}/done")] * AT_ONCE
        _assert_one_response_each(app, rid, n + 1)
    slug = make_open_link(app, rid, partner_type="school")
    for n in range(5):
        first = app.test_client()
        data = _send_data(first.get(f"/o/{slug}").text)
        clients = [first]
        for _ in range(AT_ONCE - 1):
            other = app.test_client()
            for cookie in first._cookies.values():
                other.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)
            clients.append(other)
        results = _press_at_once(clients, f"/o/{slug}", data)
        assert results == [(303, f"/o/{slug}/done")] * AT_ONCE
        with app.app_context():
            assert count(SubmissionReceipt) == n + 1
            assert count(Response) == 5 + n + 1
            assert count(Answer) == ITEMS * (5 + n + 1)
            assert count(Draft) == 0


def test_send_pressed_in_many_processes_at_once(app, app_config, make_round):
    """Separate worker processes (spawned, each with its own app and connection pool, like
    gunicorn workers) with two threads each, all pressing "Send" for one invitation at once."""
    rid = make_round(open_=True)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(AT_ONCE)
    with ctx.Pool(
        PROCESSES, initializer=workers.init_worker, initargs=(app_config, barrier)
    ) as pool:
        for n in range(PROCESS_ROUNDS):
            token = make_invitation(app, rid, email=f"p{n}@example.org")
            workers.fill_draft(app, token)
            batches = pool.starmap_async(
                workers.send_from_worker, [(token, AT_ONCE // PROCESSES)] * PROCESSES, chunksize=1
            ).get(timeout=120)
            results = [r for batch in batches for r in batch]
            assert len({pid for _, _, pid in results}) == PROCESSES
            assert [r[:2] for r in results] == [(303, f"/s/{token}/done")] * AT_ONCE
            _assert_one_response_each(app, rid, n + 1)


@pytest.mark.parametrize("point", ["answers", "commit"])
def test_worker_killed_mid_submit_leaves_all_or_nothing(app, app_config, make_round, point):
    """SIGKILL while the response row is written but not its answers, or while everything is
    written but not committed: nothing of the response remains, the draft holds every answer
    sent (they are kept in a transaction of their own before the response's), the invitation
    is not completed, and the person can press "Send" again and get exactly one whole
    response."""
    rid = make_round(open_=True)
    token = make_invitation(app, rid)
    workers.fill_draft(app, token)
    ctx = multiprocessing.get_context("spawn")
    paused = ctx.Event()
    worker = ctx.Process(target=workers.send_and_hang, args=(app_config, token, point, paused))
    worker.start()
    try:
        assert paused.wait(timeout=90), "the worker never reached the pause"
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.join(timeout=30)
    assert worker.exitcode == -signal.SIGKILL
    with app.app_context():
        assert (count(Response), count(Answer), count(SubmissionReceipt)) == (0, 0, 0)
        draft = db.session.scalar(sa.select(Draft))
        assert len(draft.data["answers"]) == ITEMS
        assert db.session.scalar(sa.select(sa.func.count()).where(invitations.completed())) == 0
        assert db.session.get(Round, rid).data_version == 0
    assert workers.send(app, token) == (303, f"/s/{token}/done")
    _assert_one_response_each(app, rid, 1)
