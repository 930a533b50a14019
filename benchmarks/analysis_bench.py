"""Gap-report build time and memory at 10,000 and 100,000 responses × 15 items.

Run: ``python benchmarks/analysis_bench.py``. Goal: the report in well under 1 s at 100k,
growing linearly, with peak memory under 1 GiB.

Each size runs a list of :class:`Step` in order, each one reading what earlier steps left in
a shared ``state`` dict; a step that loads a round from the database can be put first and
the report step pointed at its frames instead of the synthetic ones.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from stored_rounds import (  # noqa: I001 (benchmarks/ is on sys.path)
    add_database_option,
    fresh_app,
    store_round,
)

from surveyapp.analysis.export import item_table_csv
from surveyapp.analysis.report import build_report
from surveyapp.demo.synthetic import synthetic_round

SIZES = (10_000, 100_000)
GOAL_SECONDS = 1.0
GOAL_BYTES = 1 << 30


@dataclass(frozen=True)
class Step:
    """One timed stage: ``run(state)`` returns what it adds to ``state``."""

    name: str
    run: Callable[[dict[str, Any]], dict[str, Any]]


def _fresh(state: dict[str, Any], key: str) -> Any:
    """A copy of a round without its cached encoding, so every run does the full work."""
    return replace(state[key]) if state.get(key) is not None else None


def _load(state: dict[str, Any]) -> dict[str, Any]:
    """The database step: read the stored round back through ``frames.py``."""
    from surveyapp.analysis.frames import load_round_frames
    from surveyapp.extensions import db

    with state["app"].app_context():
        return {"frames": load_round_frames(db.session, state["round_id"])}


STEPS = (
    Step("load from database", _load),
    Step("report", lambda s: {"report": build_report(_fresh(s, "frames"))}),
    Step(
        "report + compared round",
        lambda s: {"report": build_report(_fresh(s, "frames"), _fresh(s, "compared"))},
    ),
    Step("csv export", lambda s: {"csv": item_table_csv(s["report"])}),
)


def measure(step: Step, state: dict[str, Any], repeats: int) -> tuple[float, int]:
    """Best wall time of ``repeats`` runs, then one traced run for peak Python-heap memory."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        added = step.run(state)
        best = min(best, time.perf_counter() - start)
    state.update(added)
    tracemalloc.start()
    step.run(state)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    add_database_option(parser)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="surveyapp-bench-")
    times: dict[tuple[str, int], float] = {}
    print(f"{'responses':>10}  {'step':<24} {'seconds':>8} {'peak MiB':>9}")
    for size in SIZES:
        frames = synthetic_round(size, seed=1, round_id=2)
        started = time.perf_counter()
        app = fresh_app(args.database_url or f"sqlite:///{tmp}/bench-{size}.sqlite")
        round_id = store_round(app, frames)
        print(f"{size:>10,}  {'(storing the round)':<24} {time.perf_counter() - started:>8.1f}")
        state: dict[str, Any] = {
            "app": app,
            "round_id": round_id,
            "compared": synthetic_round(
                size, seed=2, round_id=1, item_shift={"comm_partners": 0.3}
            ),
        }
        for step in STEPS:
            seconds, peak = measure(step, state, args.repeats)
            times[(step.name, size)] = seconds
            flag = "" if seconds < GOAL_SECONDS and peak < GOAL_BYTES else "  over goal"
            print(f"{size:>10,}  {step.name:<24} {seconds:>8.3f} {peak / 2**20:>9.1f}{flag}")
    small, large = SIZES
    print(f"\ncost ratio {large:,} / {small:,} responses (linear = {large / small:.0f}):")
    for step in STEPS:
        ratio = times[(step.name, large)] / times[(step.name, small)]
        print(f"  {step.name:<24} {ratio:>6.1f}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak RSS (synthetic rounds included): {rss:.0f} MiB")


if __name__ == "__main__":
    main()
