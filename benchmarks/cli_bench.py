"""``responses import`` of 100,000 rows and CLI start-up, each as a fresh process.

Run: ``python benchmarks/cli_bench.py`` (a temporary SQLite file) or with
``--database-url postgresql://...`` (its tables are dropped and rebuilt). Goals: the import in
under 20 s and under 1 GiB peak memory (the process's ``ru_maxrss``), all-or-nothing; CLI start-up
(``--help`` and ``users list``) in under 1 s.

The CSV is built from :func:`surveyapp.demo.synthetic.synthetic_round` (15 items, scale labels,
"Don't know" and blanks, localities, role level and training). A copy of the same file with one
bad cell in its last row is imported first: it must be refused, naming that row, and leave
nothing written. Each command runs as ``python -m surveyapp`` in a child process, so the time
includes start-up and the memory is that command's alone.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from stored_rounds import add_database_option, fresh_app  # noqa: I001 (benchmarks/ is on sys.path)

IMPORT_SECONDS_GOAL = 20.0
IMPORT_MEMORY_GOAL_MIB = 1024.0
STARTUP_GOAL = 1.0
REPO = Path(__file__).resolve().parent.parent


def write_csv(path: Path, size: int) -> None:
    """A wide CSV of ``size`` synthetic responses, as a partner's paper returns would be typed:
    numbers and scale labels mixed, "Don't know", blanks."""
    import pandas as pd

    from surveyapp.demo.synthetic import synthetic_round
    from surveyapp.instruments.scales import DONT_KNOW_LABEL

    frames = synthetic_round(size, seed=3)
    answers = frames.answers
    text = (
        answers["value"]
        .map({1: "Strongly disagree", 2: "disagree", 3: "3", 4: "Agree", 5: "5"})
        .astype(object)
    )
    text[answers["dont_know"].to_numpy(dtype=bool)] = DONT_KNOW_LABEL
    wide = (
        answers.assign(text=text)
        .pivot(index="response_id", columns="item_id", values="text")
        .fillna("")
    )
    people = frames.responses.set_index("response_id")[
        ["partner_type", "locality", "role_level", "training"]
    ]
    table = pd.concat([people.astype(object).fillna(""), wide], axis=1, join="inner")
    table.to_csv(path, index=False)


#: Runs ``python -m surveyapp`` and, at exit, writes the process's peak resident memory (VmHWM:
#: its own, where ``ru_maxrss`` would also count the benchmark it was forked from) to a file.
_CHILD = """
import atexit, sys
from surveyapp.__main__ import main

PEAK_FILE = sys.argv[1]

def peak():
    with open("/proc/self/status") as status, open(PEAK_FILE, "w") as out:
        out.write(next(line for line in status if line.startswith("VmHWM")).split()[1])

atexit.register(peak)
sys.argv = ["surveyapp", *sys.argv[2:]]
main()
"""


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, float, int, str]:
    """Wall seconds, CPU seconds, peak memory (MiB), exit code and output of one
    ``python -m surveyapp`` command run in a fresh process."""
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile() as peak:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, peak.name, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=REPO,
        )
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        mib = int(Path(peak.name).read_text() or 0) / 1024
    return seconds, usage.ru_utime + usage.ru_stime, mib, child.returncode, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    add_database_option(parser)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="surveyapp-cli-bench-"))
    url = args.database_url or f"sqlite:///{tmp}/cli-bench.sqlite"
    app = fresh_app(url)
    with app.app_context():
        from surveyapp.demo.synthetic import STANDARD_PARTNER_TYPES
        from surveyapp.extensions import db
        from surveyapp.services.rounds import create_round

        round_ = create_round(
            instrument_ref="early-help-pathways@1",
            title="Imported",
            partner_type_slugs=list(STANDARD_PARTNER_TYPES),
            locality_names=["North", "South", "East", "West"],
        )
        db.session.commit()
        round_id = round_.id
    good = tmp / "returns.csv"
    write_csv(good, args.responses)
    lines = good.read_text(encoding="utf-8").splitlines()
    bad_row = len(lines)
    *rest, last = lines[-1].split(",")
    bad = tmp / "returns-bad.csv"
    bad.write_text("\n".join([*lines[:-1], ",".join([*rest, "7"])]) + "\n", encoding="utf-8")
    env = {**os.environ, "SURVEYAPP_DATABASE_URL": url, "SURVEYAPP_SECRET_KEY": "benchmark"}
    print(f"{args.responses:,} rows, {good.stat().st_size / 2**20:.1f} MiB ({url.split(':')[0]})\n")

    def count() -> int:
        import sqlalchemy as sa

        from surveyapp.extensions import db
        from surveyapp.models import Response

        with app.app_context():
            return db.session.scalar(sa.select(sa.func.count()).select_from(Response)) or 0

    print(
        f"{'step':<34} {'seconds':>8} {'CPU s':>6} {'goal':>6} {'peak MiB':>9} {'goal':>6}  result"
    )
    seconds, cpu, mib, code, text = run(["responses", "import", str(round_id), str(bad)], env)
    refused = code == 1 and f"row {bad_row}:" in text and count() == 0
    print(
        f"{'import, bad last row (refused)':<34} {seconds:>8.2f} {cpu:>6.2f} "
        f"{IMPORT_SECONDS_GOAL:>6.1f} "
        f"{mib:>9.0f} {IMPORT_MEMORY_GOAL_MIB:>6.0f}  "
        f"{'refused, row ' + str(bad_row) + ' named, nothing written' if refused else 'WRONG'}"
    )
    seconds, cpu, mib, code, text = run(["responses", "import", str(round_id), str(good)], env)
    stored = count()
    over = seconds >= IMPORT_SECONDS_GOAL or mib >= IMPORT_MEMORY_GOAL_MIB
    print(
        f"{'import, ' + format(args.responses, ',') + ' rows':<34} {seconds:>8.2f} {cpu:>6.2f} "
        f"{IMPORT_SECONDS_GOAL:>6.1f} "
        f"{mib:>9.0f} {IMPORT_MEMORY_GOAL_MIB:>6.0f}  "
        f"exit {code}, {stored:,} responses stored{'  over goal' if over else ''}"
    )
    for name, command in (
        ("start-up: --help", ["--help"]),
        ("start-up: users list", ["users", "list"]),
    ):
        times = []
        for _ in range(3):
            seconds, cpu, mib, code, text = run(command, env)
            assert code == 0, text
            times.append((seconds, cpu))
        best, cpu = min(times)
        print(
            f"{name + ' (best of 3)':<34} {best:>8.2f} {cpu:>6.2f} {STARTUP_GOAL:>6.1f} "
            f"{mib:>9.0f} {'':>6}  "
            f"{'over goal' if best >= STARTUP_GOAL else 'ok'}"
        )
    print(f"\nload average while running: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
