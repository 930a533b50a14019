"""Load benchmark: partner staff answering a round, through gunicorn, on PostgreSQL.

Run: ``.venv/bin/python benchmarks/load.py`` (needs the ``bench`` extra: ``aiohttp``).

It builds a fresh PostgreSQL schema (``--database-url``, default
``postgresql://postgres@127.0.0.1:5432/test``) with the migrations, creates an open round of the
standard instrument with two open links (one asks the partner type, one is fixed to schools)
and enough invitations, starts gunicorn with the repo's ``gunicorn.conf.py`` on 127.0.0.1 (a
free port, rate limits raised for the run), and then drives virtual users: each walks the whole
flow a phone does, with no think time: open the link (the one-page form), POST every answer with
its CSRF token, follow the redirect to the thank-you page; then starts again as a new person.
Half use open links, half invitations.

For each level of concurrent users (20, 50, 200 by default; ``--duration`` seconds measured after
``--warmup`` seconds) it prints completed responses a second, p50/p95/p99 per step and for a
whole response, errors, and then the requests a second of a trivial page (``/healthz``) at the
same concurrency against the same server, with the ratio. It also prints where the CPU went:
the load client shares the machine with the server and PostgreSQL, so on a 2-core machine its
share is capacity the server did not have.

Afterwards it checks in the database that every response the client saw completed is there,
exactly once, with all its answers, and that no invitation token reached gunicorn's access log.
It stops by itself, talks to loopback only, and removes its schema and gunicorn even on Ctrl+C.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/test"
LOCALITIES = ("North", "South", "East", "West")
#: Goals from the production-readiness issue, checked at 20 concurrent users.
GOAL_USERS = 20
GOAL_RATE = 170.0
GOAL_P95_MS = 160.0
GOAL_RATIO = 0.5

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RADIO = re.compile(r'type="radio" id="[^"]*" name="([^"]+)" value="([^"]+)"')
TEXTAREA = re.compile(r'<textarea[^>]* name="([^"]+)"')
STEPS = ("form GET", "submit POST", "thank-you GET")


# --- the database and the server ---------------------------------------------------------------
def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextmanager
def fresh_schema(database_url: str) -> Iterator[str]:
    """A new schema for this run; yields a URL whose connections use it. Dropped afterwards."""
    import psycopg

    schema = f"loadbench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_plain(database_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in database_url else "?"
    try:
        yield f"{database_url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(_plain(database_url), autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def server_settings(database_url: str, redis_url: str) -> dict[str, Any]:
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "BASE_URL": "http://127.0.0.1",
        # Every virtual user comes from 127.0.0.1: raise the per-address limits for the run.
        "OPEN_LINK_RATE_LIMIT": "10000000 per minute",
        "TOKEN_LINK_RATE_LIMIT": "10000000 per minute",
        "OPEN_LINK_SUBMIT_RATE_LIMIT": "10000000 per minute",
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "REDIS_URL": redis_url,
    }


@dataclass
class Fixture:
    """What the virtual users need: link paths, invitation tokens and their partner types."""

    round_id: int
    open_slugs: list[str]
    invitations: list[tuple[str, str, str]]  # (token, partner type slug, locality slug)


def build_round(settings: dict[str, Any], instance: Path, n_invitations: int) -> Fixture:
    """Migrate the schema, then an open round with open links and invitations."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.models import Invitation
    from surveyapp.services import rounds
    from surveyapp.services.tokens import invitation_token, new_nonce, sha256

    app = create_app(settings, instance_path=str(instance))
    with app.app_context():
        upgrade()
        round_ = rounds.create_round(
            instrument_ref="early-help-pathways@1",
            title="Load benchmark round",
            locality_names=LOCALITIES,
            signposts={
                "pathways": {"label": "Find early-help services", "url": "https://example.org/a"},
                "thresholds": {
                    "label": "Read the continuum of need",
                    "url": "https://example.org/b",
                },
            },
        )
        rounds.open_round(round_)
        slugs = [
            rounds.create_open_link(round_).slug,
            rounds.create_open_link(round_, partner_type_slug="school").slug,
        ]
        partner_types = [(p.id, p.slug) for p in round_.partner_types]
        localities = [(loc.id, loc.slug) for loc in round_.localities]
        rows, invitations = [], []
        for n in range(n_invitations):
            nonce = new_nonce()
            token = invitation_token(nonce)
            pt_id, pt_slug = partner_types[n % len(partner_types)]
            loc_id, loc_slug = localities[n % len(localities)]
            rows.append(
                {
                    "round_id": round_.id,
                    "email": f"person{n}@bench.invalid",
                    "partner_type_id": pt_id,
                    "locality_id": loc_id,
                    "token_hash": sha256(token),
                    "token_nonce": nonce,
                }
            )
            invitations.append((token, pt_slug, loc_slug))
        db.session.execute(sa.insert(Invitation), rows)
        db.session.commit()
        fixture = Fixture(round_.id, slugs, invitations)
        db.session.remove()
        db.engine.dispose()
    return fixture


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(instance: Path, port: int, workers: int | None, threads: int | None) -> Iterator[int]:
    """gunicorn with the repo's config on 127.0.0.1:port; yields the master's pid. Stopped
    (its whole process group) however the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SURVEYAPP_")}
    env["PYTHONPATH"] = str(ROOT)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        str(ROOT / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{port}",
        "--access-logfile",
        str(instance / "access.log"),
        "--error-logfile",
        str(instance / "error.log"),
        f"surveyapp:create_app(instance_path={str(instance)!r})",
    ]
    if workers:
        command[5:5] = ["--workers", str(workers)]
    if threads:
        # gunicorn.conf.py picks the worker class from GUNICORN_THREADS; on the command line
        # the class must be given with the threads (1 thread = plain sync workers).
        command[5:5] = [
            "--threads",
            str(threads),
            "--worker-class",
            "gthread" if threads > 1 else "sync",
        ]
    proc = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    try:
        yield proc.pid
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- CPU accounting ----------------------------------------------------------------------------
TICK = os.sysconf("SC_CLK_TCK")


def _proc_stat(pid: str) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_sample(master: int) -> dict[str, Any]:
    """CPU seconds so far: this client, gunicorn (master, workers, reaped workers), each
    PostgreSQL process (by pid: the server also serves other users), and the whole machine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out: dict[str, Any] = {
        "client": usage.ru_utime + usage.ru_stime,
        "gunicorn": 0.0,
        "postgres": {},
    }
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fields = _proc_stat(pid)
        if fields is None:
            continue
        own = (int(fields[11]) + int(fields[12])) / TICK
        if int(pid) == master:
            out["gunicorn"] += own + (int(fields[13]) + int(fields[14])) / TICK
        elif int(fields[1]) == master:
            out["gunicorn"] += own
        else:
            try:
                comm = Path(f"/proc/{pid}/comm").read_text().strip()
            except OSError:
                continue
            if comm.startswith("postgres"):
                out["postgres"][pid] = own
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    out["machine"] = (sum(ticks[:8]) - ticks[3] - ticks[4]) / TICK
    return out


def cpu_seconds(before: dict[str, Any], after: dict[str, Any]) -> dict[str, float]:
    """CPU seconds of gunicorn and of the PostgreSQL backends between two samples."""
    return {
        "gunicorn": after["gunicorn"] - before["gunicorn"],
        "postgres": sum(
            cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items()
        ),
    }


def cpu_used(before: dict[str, Any], after: dict[str, Any], seconds: float) -> dict[str, float]:
    """Cores used between two samples. PostgreSQL processes that ended in between are missed."""
    used = {k: (after[k] - before[k]) / seconds for k in ("client", "gunicorn")}
    used["postgres"] = (
        sum(cpu - before["postgres"].get(pid, 0.0) for pid, cpu in after["postgres"].items())
        / seconds
    )
    used["rest of the machine"] = max(
        0.0, (after["machine"] - before["machine"]) / seconds - sum(used.values())
    )
    return used


# --- the virtual users -------------------------------------------------------------------------
class Abandon(Exception):
    """This response cannot go on (an error, or the level's time is up)."""


@dataclass
class Level:
    """One level's clock and its measurements; only what ends inside the window counts."""

    users: int
    start: float
    end: float
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    whole: list[float] = field(default_factory=list)
    completed_in_window: int = 0
    requests_in_window: int = 0
    errors: Counter = field(default_factory=Counter)
    #: Every response whose submission the server accepted (also after the window), for the
    #: database check.
    submitted: list[dict[str, Any]] = field(default_factory=list)
    invitations_ran_out: int = 0
    #: Over the whole level, warm-up and stragglers included (for the per-response figures).
    completed_total: int = 0
    requests_total: int = 0

    def record(self, step: str, seconds: float, ended: float) -> None:
        self.requests_total += 1
        if self.start <= ended <= self.end:
            self.latencies[step].append(seconds)
            self.requests_in_window += 1


class Client:
    """A shared aiohttp session; cookies are kept per response by hand (each response is a new
    person with a new browser), so one connection pool serves every virtual user."""

    def __init__(self, session: Any, base: str) -> None:
        self.session = session
        self.base = base

    async def call(
        self,
        level: Level,
        step: str,
        method: str,
        path: str,
        cookies: dict[str, str],
        data: dict[str, str] | None = None,
        expect: int = 200,
    ) -> tuple[str, str]:
        """One request; returns (body, Location). Anything unexpected raises :class:`Abandon`."""
        headers = {"Accept-Encoding": "gzip"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        started = time.perf_counter()
        try:
            async with self.session.request(
                method, self.base + path, data=data, headers=headers, allow_redirects=False
            ) as resp:
                body = await resp.text()
                status = resp.status
                location = resp.headers.get("Location", "")
                for morsel in resp.cookies.values():
                    if morsel.value:
                        cookies[morsel.key] = morsel.value
                    else:
                        cookies.pop(morsel.key, None)
        except Exception as exc:  # refused, reset, timed out, or aiohttp's own errors
            level.errors[f"{step}: {type(exc).__name__}"] += 1
            raise Abandon() from exc
        ended = time.perf_counter()
        if status != expect:
            level.errors[f"{step}: HTTP {status}"] += 1
            raise Abandon()
        level.record(step, ended - started, ended)
        return body, location


def _answers(html: str, rng: random.Random, text: str) -> tuple[str, dict[str, str]] | None:
    """The page's CSRF token and an answer to every question on it: a random choice in each
    radio group, ``text`` in each text box. None when the page has no form."""
    match = CSRF.search(html)
    if match is None:
        return None
    options: dict[str, list[str]] = defaultdict(list)
    for name, value in RADIO.findall(html):
        options[name].append(value)
    answers = {name: rng.choice(values) for name, values in options.items()}
    answers.update((name, text) for name in TEXTAREA.findall(html))
    return match.group(1), answers


@dataclass(frozen=True)
class Request:
    step: str
    method: str
    path: str
    data: dict[str, str] | None = None
    expect: int = 200


class FlowError(Exception):
    """A page was not what a phone would have got."""


def walk(link: str, rng: random.Random, expected: dict[str, Any]):  # -> Generator
    """The requests one person makes to answer the whole form, as a generator: it yields each
    :class:`Request` and is sent back (body, Location). ``expected`` gets what was answered."""
    page, _ = yield Request("form GET", "GET", link)
    form = _answers(page, rng, expected["fingerprint"])
    if form is None:
        raise FlowError("form GET: no form")
    token, answers = form
    expected["answers"] = answers
    data = {"csrf_token": token, "action": "submit", **answers}
    _, path = yield Request("submit POST", "POST", link, data, 303)
    if not path.endswith("/done"):
        raise FlowError("submit POST: not sent to the thank-you page")
    yield Request("thank-you GET", "GET", path)


async def one_response(
    client: Client, level: Level, link: str, rng: random.Random, expected: dict[str, Any]
) -> None:
    """Walk the whole form once, as a new person. After the level's time is up no new page is
    started, but a response already submitted still gets its thank-you page."""
    cookies: dict[str, str] = {}
    began = time.perf_counter()
    flow = walk(link, rng, expected)
    try:
        request = next(flow)
        while True:
            if request.step == "form GET" and time.perf_counter() > level.end:
                raise Abandon()
            result = await client.call(
                level,
                request.step,
                request.method,
                request.path,
                cookies,
                request.data,
                request.expect,
            )
            if request.step == "submit POST":
                level.submitted.append(expected)
            request = flow.send(result)
    except StopIteration:
        pass
    except FlowError as exc:
        level.errors[str(exc)] += 1
        raise Abandon() from exc
    ended = time.perf_counter()
    level.completed_total += 1
    if level.start <= ended <= level.end:
        level.completed_in_window += 1
        level.whole.append(ended - began)


async def virtual_user(
    n: int, client: Client, level: Level, fixture: Fixture, invitations: list[tuple[str, str, str]]
) -> None:
    rng = random.Random(n * 7919 + level.users)
    while time.perf_counter() < level.end:
        expected: dict[str, Any] = {"fingerprint": f"load-bench {uuid.uuid4().hex}"}
        if n % 2 and invitations:
            token, partner_type, locality = invitations.pop()
            link = f"/s/{token}"
            expected.update(channel="invite", partner_type=partner_type, locality=locality)
        else:
            if n % 2:
                level.invitations_ran_out += 1
            slug = fixture.open_slugs[(n // 2) % len(fixture.open_slugs)]
            link = f"/o/{slug}"
            expected.update(
                channel="open",
                partner_type="school" if slug == fixture.open_slugs[1] else None,
                locality=None,
            )
        try:
            await one_response(client, level, link, rng, expected)
        except Abandon:
            await asyncio.sleep(0)


async def trivial_loop(client: Client, level: Level, path: str, counts: Counter) -> None:
    while time.perf_counter() < level.end:
        try:
            await client.call(level, "trivial", "GET", path, {})
            if time.perf_counter() <= level.end:
                counts["ok"] += 1
        except Abandon:
            pass


def _session(users: int) -> Any:
    import aiohttp

    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=users, limit_per_host=users),
        cookie_jar=aiohttp.DummyCookieJar(),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def run_level(
    base: str,
    users: int,
    warmup: float,
    duration: float,
    fixture: Fixture,
    invitations: list[tuple[str, str, str]],
) -> Level:
    now = time.perf_counter()
    level = Level(users, now + warmup, now + warmup + duration)
    async with _session(users) as session:
        client = Client(session, base)
        await asyncio.gather(
            *(virtual_user(n, client, level, fixture, invitations) for n in range(users))
        )
    return level


async def run_trivial(base: str, users: int, duration: float, path: str) -> tuple[float, Counter]:
    now = time.perf_counter()
    level = Level(users, now + 1.0, now + 1.0 + duration)
    counts: Counter = Counter()
    async with _session(users) as session:
        client = Client(session, base)
        await asyncio.gather(*(trivial_loop(client, level, path, counts) for _ in range(users)))
    # Requests that ended inside the window (after a one-second warm-up).
    return len(level.latencies["trivial"]) / duration, level.errors


async def wait_until_up(base: str, seconds: float = 60) -> None:
    import aiohttp

    deadline = time.monotonic() + seconds
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            try:
                async with session.get(base + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.2)
    raise SystemExit("gunicorn did not start: see its error log above")


# --- profiling in one process --------------------------------------------------------------
def profile(
    settings: dict[str, Any],
    instance: Path,
    fixture: Fixture,
    responses: int,
    html_path: str | None,
) -> None:
    """Answer ``responses`` times through Flask's test client (no server, no concurrency) and
    print, per step, the SQL statements and the median CPU time of this process (medians,
    because other work on the machine inflates some samples). With ``html_path``, pyinstrument's
    profile of the whole run is written there."""
    import gzip
    import statistics

    import sqlalchemy as sa

    from surveyapp import create_app
    from surveyapp.extensions import db

    app = create_app(settings, instance_path=str(instance))
    statements = [0]
    with app.app_context():
        sa.event.listen(
            db.engine,
            "before_cursor_execute",
            lambda *_args: statements.__setitem__(0, statements[0] + 1),
        )
    sql: dict[str, list[int]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    whole_sql: list[int] = []
    whole_cpu: list[float] = []
    profiler = None
    if html_path:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
    invitations = list(fixture.invitations)
    for n in range(responses):
        client = app.test_client()
        link = f"/s/{invitations.pop()[0]}" if n % 2 else f"/o/{fixture.open_slugs[n // 2 % 2]}"
        flow = walk(link, random.Random(n), {"fingerprint": f"profile {n}"})
        request = next(flow)
        whole_sql.append(0)
        whole_cpu.append(0.0)
        while True:
            q0, c0 = statements[0], time.process_time()
            resp = client.open(
                request.path,
                method=request.method,
                data=request.data,
                headers={"Accept-Encoding": "gzip"},
            )
            body = resp.get_data()
            if resp.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            sql[request.step].append(statements[0] - q0)
            cpu[request.step].append(time.process_time() - c0)
            whole_sql[-1] += sql[request.step][-1]
            whole_cpu[-1] += cpu[request.step][-1]
            if resp.status_code != request.expect:
                raise SystemExit(f"{request.step} {request.path}: HTTP {resp.status_code}")
            try:
                request = flow.send((body.decode(), resp.headers.get("Location", "")))
            except StopIteration:
                break
    if profiler is not None:
        profiler.stop()
        Path(html_path).write_text(profiler.output_html())
        print(f"pyinstrument profile written to {html_path}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    print(f"\n{responses} responses in one process (Flask test client, no server), medians:")
    print(f"{'step':<16}{'requests':>9}{'SQL':>6}{'CPU ms':>9}")
    for step in STEPS:
        print(
            f"{step:<16}{len(cpu[step]):>9}{statistics.median(sql[step]):>6g}"
            f"{statistics.median(cpu[step]) * 1000:>9.2f}"
        )
    print(
        f"{'whole response':<16}{responses:>9}{statistics.median(whole_sql):>6g}"
        f"{statistics.median(whole_cpu) * 1000:>9.2f}"
    )


# --- reporting ---------------------------------------------------------------------------------
def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _ms(values: list[float]) -> str:
    return "  ".join(f"{percentile(values, p) * 1000:7.1f}" for p in (50, 95, 99))


def print_level(
    level: Level,
    duration: float,
    trivial_rate: float,
    trivial_errors: Counter,
    trivial_path: str,
    cpu: dict[str, float],
    cpu_seconds: dict[str, float],
) -> dict[str, float]:
    rate = level.completed_in_window / duration
    answering_rps = level.requests_in_window / duration
    ratio = answering_rps / trivial_rate if trivial_rate else float("nan")
    print(f"\n== {level.users} concurrent users, {duration:g} s measured ==")
    print(
        f"completed responses: {level.completed_in_window} = {rate:.1f} a second; answering "
        f"requests {answering_rps:.0f} a second"
    )
    print(f"{'step':<16}{'count':>8}     p50      p95      p99  (ms)")
    for step in STEPS:
        values = level.latencies.get(step, [])
        print(f"{step:<16}{len(values):>8} {_ms(values)}")
    print(f"{'whole response':<16}{len(level.whole):>8} {_ms(level.whole)}")
    if not level.completed_in_window and level.requests_in_window:
        print(
            "note: no response was finished inside the window (a whole response takes "
            "longer than --duration at this load): raise --duration"
        )
    errors = sum(level.errors.values())
    print(
        f"errors: {errors}"
        + (
            ""
            if not errors
            else " (" + ", ".join(f"{k} x{v}" for k, v in level.errors.most_common()) + ")"
        )
    )
    if level.invitations_ran_out:
        print(
            f"note: invitations ran out; {level.invitations_ran_out} invitation users used an "
            "open link instead (raise --invitations)"
        )
    print(
        f"trivial page {trivial_path}: {trivial_rate:.0f} requests a second at {level.users} "
        f"users ({sum(trivial_errors.values())} errors); answering requests run at "
        f"{ratio:.2f} of that"
    )
    print("CPU while answering, in cores: " + ", ".join(f"{k} {v:.2f}" for k, v in cpu.items()))
    # Per completed response: the requests that went into it and the server's CPU (gunicorn's
    # workers, and the PostgreSQL backends, from /proc) over the whole level, divided by the
    # responses completed over the same span (warm-up included, so both sides match).
    per_response = level.requests_total / level.completed_total if level.completed_total else 0.0
    cpu_ms = {
        k: cpu_seconds[k] / level.completed_total * 1000 if level.completed_total else float("nan")
        for k in ("gunicorn", "postgres")
    }
    print(
        f"per response: {per_response:.2f} requests; server CPU {cpu_ms['gunicorn']:.1f} ms "
        f"in gunicorn workers + {cpu_ms['postgres']:.1f} ms in PostgreSQL backends = "
        f"{cpu_ms['gunicorn'] + cpu_ms['postgres']:.1f} ms "
        f"({level.completed_total} responses over {cpu_seconds['elapsed']:.1f} s)"
    )
    return {
        "rate": rate,
        "p95": percentile(level.whole, 95) * 1000,
        "ratio": ratio,
        "errors": errors + sum(trivial_errors.values()),
        "requests_per_response": per_response,
        "cpu_ms_gunicorn": cpu_ms["gunicorn"],
        "cpu_ms_postgres": cpu_ms["postgres"],
    }


def verify(
    settings: dict[str, Any], instance: Path, round_id: int, completed: list[dict[str, Any]]
) -> tuple[int, list[str]]:
    """Every response the client saw completed is in the database once, with its answers."""
    import sqlalchemy as sa

    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.models import Answer, Locality, PartnerType, Response

    problems: list[str] = []
    app = create_app(settings, instance_path=str(instance))
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Response.id,
                Response.comment,
                Response.channel,
                PartnerType.slug,
                Locality.slug,
                Response.role_level,
                Response.training,
            )
            .join(PartnerType, Response.partner_type_id == PartnerType.id)
            .outerjoin(Locality, Response.locality_id == Locality.id)
            .where(Response.round_id == round_id)
        ).all()
        answers: dict[int, dict[str, str]] = defaultdict(dict)
        for response_id, item_id, value, dont_know in db.session.execute(
            sa.select(Answer.response_id, Answer.item_id, Answer.value, Answer.dont_know)
            .join(Response)
            .where(Response.round_id == round_id)
        ):
            answers[response_id][item_id] = "dk" if dont_know else str(value)
        db.session.remove()
        db.engine.dispose()
    by_comment: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        by_comment[row.comment].append(row)
    for exp in completed:
        found = by_comment.get(exp["fingerprint"], [])
        if len(found) != 1:
            problems.append(f"{exp['fingerprint']}: found {len(found)} times")
            continue
        row = found[0]
        sent = exp["answers"]
        want_items = {
            k: v
            for k, v in sent.items()
            if k not in {"partner_type", "locality", "role_level", "training", "one_thing"}
        }
        partner_type = exp["partner_type"] or sent.get("partner_type")
        locality = exp["locality"] or sent.get("locality")
        if (
            answers[row.id] != want_items
            or len(want_items) != 15
            or row.channel != exp["channel"]
            or row[3] != partner_type
            or row[4] != locality
            or row.role_level != sent.get("role_level")
            or row.training != sent.get("training")
        ):
            problems.append(f"{exp['fingerprint']}: stored answers differ from those sent")
    extra = len(rows) - len(completed)
    if extra:
        problems.append(f"{extra} responses in the database that the client did not see complete")
    return len(rows), problems


def tokens_in_access_log(instance: Path, fixture: Fixture) -> tuple[int, int]:
    """(invitation requests logged, invitation tokens among them): there should be no token."""
    path = instance / "access.log"
    logged = re.findall(r"/s/([^/?\s\"]+)", path.read_text()) if path.exists() else []
    return len(logged), len(set(logged) & {token for token, _, _ in fixture.invitations})


# --- main --------------------------------------------------------------------------------------
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DB,
        help=f"PostgreSQL server to use (a fresh schema is made); default {DEFAULT_DB}",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="keep rate limits in this Redis (default: each worker's memory)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gunicorn worker processes (default: gunicorn.conf.py's, 2 x cores + 1)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads per worker: 1 for sync workers, more for gthread workers "
        "(default: gunicorn.conf.py's)",
    )
    parser.add_argument(
        "--users", default="20,50,200", help="concurrent users per level, comma-separated"
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds measured per level")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring")
    parser.add_argument(
        "--trivial-path", default="/healthz", help="the trivial page timed at the same concurrency"
    )
    parser.add_argument("--trivial-duration", type=float, default=5.0)
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        default=0,
        help="instead: answer N times in this process and print SQL statements "
        "and CPU time per step",
    )
    parser.add_argument(
        "--profile-html", metavar="PATH", help="with --profile: write pyinstrument's profile here"
    )
    parser.add_argument(
        "--invitations",
        type=int,
        default=None,
        help="invitations to create (default: enough for 250 responses a second)",
    )
    args = parser.parse_args()
    if args.workers is not None and args.workers < 2:
        parser.error("--workers must be at least 2")
    levels = [int(u) for u in args.users.split(",") if u.strip()]
    if any(u < 1 or u > 1000 for u in levels):
        parser.error("--users: each level must be 1 to 1000")
    if not args.database_url.startswith(("postgresql://", "postgresql+psycopg://")):
        parser.error("--database-url must be a postgresql:// URL")
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print(
            "benchmarks/load.py needs aiohttp: .venv/bin/pip install aiohttp==3.14.5",
            file=sys.stderr,
        )
        return 2

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)  # also when started from a shell that ignores it
    total_seconds = len(levels) * (args.warmup + args.duration + 2)
    n_invitations = args.invitations or max(int(total_seconds * 125), args.profile)
    instance = Path(tempfile.mkdtemp(prefix="surveyapp-load-"))
    summary: dict[int, dict[str, float]] = {}
    try:
        with fresh_schema(args.database_url) as url:
            settings = server_settings(url, args.redis_url)
            (instance / "config.py").write_text(
                "".join(f"{k} = {v!r}\n" for k, v in settings.items())
            )
            t0 = time.perf_counter()
            fixture = build_round(settings, instance, n_invitations)
            print(
                f"schema built, round {fixture.round_id} with 2 open links and "
                f"{n_invitations} invitations in {time.perf_counter() - t0:.1f} s"
            )
            if args.profile:
                profile(settings, instance, fixture, args.profile, args.profile_html)
                return 0
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            with gunicorn(instance, port, args.workers, args.threads) as master:
                asyncio.run(wait_until_up(base))
                time.sleep(1.0)  # let every worker finish booting before counting them
                workers = sum(
                    1
                    for pid in os.listdir("/proc")
                    if pid.isdigit() and (_proc_stat(pid) or ["", "0"])[1] == str(master)
                )
                print(
                    f"gunicorn on {base}: {workers} workers x "
                    f"{args.threads or 'gunicorn.conf.py default'} thread(s); "
                    f"{os.cpu_count()} cores shared by server, PostgreSQL and this client "
                    "(one process, asyncio + aiohttp)"
                )
                invitations = list(fixture.invitations)
                completed: list[dict[str, Any]] = []
                for users in levels:
                    before, t_before = cpu_sample(master), time.perf_counter()
                    level = asyncio.run(
                        run_level(base, users, args.warmup, args.duration, fixture, invitations)
                    )
                    after, elapsed = cpu_sample(master), time.perf_counter() - t_before
                    cpu = cpu_used(before, after, elapsed)
                    spent = {**cpu_seconds(before, after), "elapsed": elapsed}
                    trivial_rate, trivial_errors = asyncio.run(
                        run_trivial(base, users, args.trivial_duration, args.trivial_path)
                    )
                    completed.extend(level.submitted)
                    summary[users] = print_level(
                        level,
                        args.duration,
                        trivial_rate,
                        trivial_errors,
                        args.trivial_path,
                        cpu,
                        spent,
                    )
            in_db, problems = verify(settings, instance, fixture.round_id, completed)
            logged, leaked = tokens_in_access_log(instance, fixture)
    except KeyboardInterrupt:
        print("\nstopped; gunicorn and the schema were removed", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(instance, ignore_errors=True)

    print(
        f"\ndatabase check: {len(completed)} responses completed by the client, {in_db} in "
        f"the database; "
        + (
            "every one present once with all its answers"
            if not problems
            else f"{len(problems)} problems:"
        )
    )
    for problem in problems[:20]:
        print("  " + problem)
    print(
        f"access log: {logged} invitation-link requests, "
        + ("no token in it" if not leaked else f"{leaked} tokens in it")
    )
    ok = not problems and not leaked
    if GOAL_USERS in summary:
        s = summary[GOAL_USERS]
        checks: list[tuple[str, str, bool | None]] = [
            (
                f"completed responses a second >= {GOAL_RATE:g}",
                f"{s['rate']:.1f}",
                s["rate"] >= GOAL_RATE,
            ),
            (
                f"p95 whole response <= {GOAL_P95_MS:g} ms",
                f"{s['p95']:.0f} ms",
                s["p95"] <= GOAL_P95_MS,
            ),
            (
                f"answering requests >= {GOAL_RATIO:g} x trivial page",
                f"{s['ratio']:.2f}",
                s["ratio"] >= GOAL_RATIO,
            ),
            ("errors = 0", f"{s['errors']:g}", s["errors"] == 0),
            (
                "requests per response",
                f"{s['requests_per_response']:.2f}",
                None,
            ),
            (
                "server CPU per response",
                f"{s['cpu_ms_gunicorn']:.1f} ms gunicorn + {s['cpu_ms_postgres']:.1f} ms "
                "PostgreSQL",
                None,
            ),
            ("every completed response stored", "yes" if not problems else "no", not problems),
        ]
        print(f"\ngoals at {GOAL_USERS} users:")
        for name, value, met in checks:
            mark = "       " if met is None else "met    " if met else "NOT MET"
            print(f"  {mark} {name}: {value}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
