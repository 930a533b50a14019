"""Code run by the concurrency tests' threads and spawned worker processes.

A spawned process imports this module afresh and builds its own app against the test's
database (the same SQLite file or PostgreSQL schema), exactly as a second gunicorn worker would.
Everything goes through the real respondent page: GET the form for a CSRF token, wait for the
others, POST "Submit" with every answer.
"""

from __future__ import annotations

import os
import re
import threading
import time
from typing import Any

import sqlalchemy as sa
from flask import Flask

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.services import submissions as svc
from tests.web.respond_helpers import PAGES

#: The last page's item, posted with the final "Send".
LAST_ITEM = PAGES[-1][0]
#: Every item answered 1,2,3,4,5,1,... in page order; the last page's item sent with "Send".
ANSWERS = {item: str(1 + n % 5) for n, item in enumerate(i for page in PAGES for i in page)}

_app: Flask | None = None
_barrier: Any = None


def fill_draft(app: Flask, token: str) -> None:
    """Save every page but the last through the service, as a person would have done."""
    with app.app_context():
        respondent = svc.for_invitation(token)
        steps = svc.steps(respondent)
        svc.save_page(respondent, steps[0], {"role_level": ["frontline"]}, resume_at=2)
        for step in steps[1:-1]:
            svc.save_page(
                respondent,
                step,
                {i.id: [ANSWERS[i.id]] for i in step.items},
                resume_at=step.number + 1,
            )
        db.session.commit()


def csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html[:500]
    return match.group(1)


def send(app: Flask, token: str, barrier: Any = None) -> tuple[int, str]:
    """Open the form, wait at ``barrier``, press "Submit" with every answer: (status, Location)."""
    client = app.test_client()
    page = client.get(f"/s/{token}")
    data = {
        "csrf_token": csrf(page.text),
        "action": "submit",
        "role_level": "frontline",
        **ANSWERS,
        "one_thing": "More joint training",
    }
    if barrier is not None:
        barrier.wait(timeout=60)
    resp = client.post(f"/s/{token}", data=data)
    return resp.status_code, resp.headers.get("Location", "")


# --- a pool of worker processes ----------------------------------------------------------------
def init_worker(config: dict[str, Any], barrier: Any) -> None:
    """Pool initializer: this process's own app, and the barrier shared by all workers."""
    global _app, _barrier
    _app = create_app(config)
    _barrier = barrier


def send_from_worker(token: str, threads: int) -> list[tuple[int, str, int]]:
    """``threads`` presses of "Send" from this worker process: (status, Location, pid) each."""
    assert _app is not None
    app = _app
    results: list[tuple[int, str, int]] = []

    def press() -> None:
        with app.app_context():
            results.append((*send(app, token, _barrier), os.getpid()))
            db.session.remove()

    started = [threading.Thread(target=press) for _ in range(threads)]
    for t in started:
        t.start()
    for t in started:
        t.join(timeout=90)
    return results


# --- a worker killed in the middle of a submit ------------------------------------------------
def send_and_hang(config: dict[str, Any], token: str, point: str, paused: Any) -> None:
    """Press "Send", but stop dead at ``point`` (``answers``: the receipt and response rows are
    written, the answers not yet; ``commit``: everything flushed, not committed), tell the
    parent through ``paused`` and wait to be killed."""
    app = create_app(config)

    def hang() -> None:
        paused.set()
        time.sleep(600)

    with app.app_context():
        engine = db.engine
    if point == "answers":

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _before(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("INSERT INTO ANSWERS"):
                hang()
    else:
        submit = svc.submit

        def submit_then_hang(respondent: svc.Respondent, state: svc.DraftState) -> None:
            submit(respondent, state)
            db.session.flush()
            hang()

        svc.submit = submit_then_hang  # the view calls svc.submit, so it calls this
    send(app, token)
