"""Gap report page and exports at 100,000 responses × 15 items, cold and cached.

Run: ``python benchmarks/report_bench.py`` (a temporary SQLite file) or with
``--database-url postgresql://...`` (its tables are dropped and rebuilt). Goals (issue 14): the
report page, charts included, in under 2 s cold and under 100 ms cached; every export (the full
PDF included) in under 5 s.

Two rounds are stored (the round and the round it is compared with, each of ``--responses``
responses), then timed through the app as a manager sees them: the page with every cache empty
(the report machinery imported first, as gunicorn's master does before it forks its workers;
the import is timed on its own line), the same page again, a filtered view for the first time
and again, the full PDF downloaded from the page (whose view is cached) and downloaded again,
and the ``report`` command in every format it accepts (read from its ``--format`` choice, so
new formats are timed as soon as they exist), each as a fresh command would run it, with empty
caches. Wall-clock seconds are compared with the goals; CPU seconds are printed beside them
because on a shared machine the wall clock also measures everyone else's work.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from stored_rounds import (  # noqa: I001 (benchmarks/ is on sys.path)
    add_database_option,
    fresh_app,
    store_round,
)

from surveyapp.demo.synthetic import synthetic_round

COLD_GOAL = 2.0
EXPORT_GOAL = 5.0
CACHED_GOAL = 0.1
PASSWORD = "benchmark password 1"


def report_formats() -> tuple[str, ...]:
    """Every format the ``report`` command accepts, from its ``--format`` choice."""
    from surveyapp.cli import report_command

    for param in report_command.params:
        if param.name == "fmt" and isinstance(param.type, click.Choice):
            return tuple(str(c) for c in param.type.choices)
    raise SystemExit("the report command has no --format choice")


def clear_caches() -> None:
    """Forget every cached report, view and loaded round, as a freshly started process would."""
    from surveyapp.reporting import build

    build.clear_cache()


def preload_report_machinery() -> None:
    """What gunicorn's master does before forking (``gunicorn.conf.on_starting``): import the
    report machinery and freeze what is loaded out of the garbage collector's way."""
    from surveyapp.reporting import preload

    preload()
    gc.freeze()


def logged_in_client(app: Any) -> Any:
    """A test client logged in as a new manager, through the login form."""
    from surveyapp.extensions import db
    from surveyapp.services.users import create_user

    with app.app_context():
        create_user("manager@example.org", "manager", PASSWORD)
        db.session.commit()
    client = app.test_client()
    page = client.get("/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token, "the login page has no CSRF token"
    answer = client.post(
        "/login",
        data={"email": "manager@example.org", "password": PASSWORD, "csrf_token": token.group(1)},
    )
    assert answer.status_code == 302, answer.status_code
    return client


def timed(run: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one run (CPU shows the cost on a busy shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - start, time.process_time() - cpu


def get(client: Any, url: str) -> Callable[[], None]:
    def run() -> None:
        page = client.get(url)
        assert page.status_code == 200, (url, page.status_code)
        assert page.text.count("data:image/svg+xml") >= 8, "the page has lost its charts"

    return run


def download(client: Any, url: str) -> Callable[[], None]:
    def run() -> None:
        answer = client.get(url)
        assert answer.status_code == 200, (url, answer.status_code)
        assert answer.data.startswith(b"%PDF"), url

    return run


def export(app: Any, round_id: int, fmt: str, out: Path) -> Callable[[], None]:
    from surveyapp.cli import report_command

    def run() -> None:
        clear_caches()
        result = app.test_cli_runner().invoke(
            report_command, [str(round_id), "--format", fmt, "--out", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 0

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    add_database_option(parser)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="surveyapp-report-bench-"))
    size = args.responses

    started = time.perf_counter()
    app = fresh_app(args.database_url or f"sqlite:///{tmp}/report-bench.sqlite")
    earlier = store_round(app, synthetic_round(size, seed=2, round_id=1), title="Last year")
    round_id = store_round(
        app,
        synthetic_round(
            size, seed=1, round_id=2, first_response_id=size + 1, item_shift={"comm_partners": 0.3}
        ),
        title="This year",
        compared_round_id=earlier,
    )
    print(
        f"stored 2 rounds of {size:,} responses in {time.perf_counter() - started:.0f} s "
        f"({app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]})\n"
    )

    # gunicorn's master imports the report machinery once before it forks its workers
    # (gunicorn.conf.py, on_starting), so a worker's cold page does not pay for the imports
    seconds, cpu = timed(preload_report_machinery)
    print(f"importing the report machinery (once per server): {seconds:.3f} s ({cpu:.3f} CPU)\n")
    client = logged_in_client(app)
    page = f"/rounds/{round_id}/report"
    filtered = f"{page}?filter=locality:North"
    steps: list[tuple[str, Callable[[], None], float]] = [
        ("report page, cold", lambda: (clear_caches(), get(client, page)()), COLD_GOAL),
        ("report page, cached", get(client, page), CACHED_GOAL),
        ("filtered page, first view", get(client, filtered), COLD_GOAL),
        ("filtered page, cached", get(client, filtered), CACHED_GOAL),
        ("filtered page, cold", lambda: (clear_caches(), get(client, filtered)()), COLD_GOAL),
    ]
    pdf = f"/rounds/{round_id}/report.pdf"
    steps += [
        # a manager's download from the page: the view (charts drawn) is already cached
        (
            "page, then PDF download",
            lambda: (get(client, page)(), download(client, pdf)()),
            EXPORT_GOAL,
        ),
        ("PDF download, again", download(client, pdf), EXPORT_GOAL),
    ]
    steps += [
        (f"report --format {fmt}", export(app, round_id, fmt, tmp / f"report.{fmt}"), EXPORT_GOAL)
        for fmt in report_formats()
    ]

    print(f"{'step':<28} {'seconds':>8} {'CPU s':>7} {'goal':>6} {'/ goal':>7}")
    for name, run, goal in steps:
        seconds, cpu = timed(run)
        flag = "" if seconds < goal else "  over goal"
        print(f"{name:<28} {seconds:>8.3f} {cpu:>7.3f} {goal:>6.2f} {seconds / goal:>7.2f}{flag}")
    print(f"\nload average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
