"""Gap-report build time and memory at 10,000 and 100,000 responses × 15 items.

Run: ``python benchmarks/analysis_bench.py``. Goal: the report in well under 1 s at 100k,
growing linearly, with peak memory under 1 GiB.

Each size runs a list of :class:`Step` in order, each one reading what earlier steps left in
a shared ``state`` dict; a step that loads a round from the database can be put first and
the report step pointed at its frames instead of the synthetic ones.
"""

from __future__ import annotations

import argparse
import tempfile
import resource
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from surveyapp.analysis.export import item_table_csv
from surveyapp.analysis.report import build_report
from surveyapp.analysis.synthetic import synthetic_round

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


def store_round(frames: Any, database_url: str) -> tuple[Any, int]:
    """Write a synthetic round into a fresh database (schema built from the models)."""
    import sqlalchemy as sa

    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.models import Answer, PartnerType, Response
    from surveyapp.services.reference import seed_partner_types
    from surveyapp.services.rounds import create_round

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_partner_types()
        round_ = create_round(instrument_ref="early-help-pathways@1", title="Benchmark",
                              min_group_size=frames.min_group_size)
        types = dict(db.session.execute(sa.select(PartnerType.slug, PartnerType.id)).all())
        responses = frames.responses
        db.session.execute(sa.insert(Response), [
            {"id": int(rid), "round_id": round_.id, "partner_type_id": types[pt],
             "role_level": None if rl is None or rl != rl else rl,
             "training": None if tr is None or tr != tr else tr,
             "channel": "open", "submitted_on": date(2026, 11, 23)}
            for rid, pt, rl, tr in zip(responses["response_id"], responses["partner_type"],
                                       responses["role_level"].astype(object),
                                       responses["training"].astype(object))])
        answers = frames.answers
        values = answers["value"].astype(object)
        db.session.execute(sa.insert(Answer), [
            {"response_id": int(rid), "item_id": item, "value": None if dk else int(v),
             "dont_know": bool(dk)}
            for rid, item, v, dk in zip(answers["response_id"], answers["item_id"], values,
                                        answers["dont_know"])])
        db.session.commit()
        return app, round_.id


STEPS = (
    Step("load from database", _load),
    Step("report", lambda s: {"report": build_report(_fresh(s, "frames"))}),
    Step("report + compared round",
         lambda s: {"report": build_report(_fresh(s, "frames"), _fresh(s, "compared"))}),
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
    parser.add_argument("--database-url", default=None,
                        help="where to store the rounds (default: a temporary SQLite file); "
                             "its tables are dropped and rebuilt")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="surveyapp-bench-")
    times: dict[tuple[str, int], float] = {}
    print(f"{'responses':>10}  {'step':<24} {'seconds':>8} {'peak MiB':>9}")
    for size in SIZES:
        frames = synthetic_round(size, seed=1, round_id=2)
        started = time.perf_counter()
        app, round_id = store_round(frames, args.database_url
                                    or f"sqlite:///{tmp}/bench-{size}.sqlite")
        print(f"{size:>10,}  {'(storing the round)':<24} {time.perf_counter() - started:>8.1f}")
        state: dict[str, Any] = {
            "app": app, "round_id": round_id,
            "compared": synthetic_round(size, seed=2, round_id=1,
                                        item_shift={"comm_partners": 0.3}),
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
