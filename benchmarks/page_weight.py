"""Page weight and render time of the respondent pages.

Builds a throwaway SQLite database with one open round, serves the app from a child process
(werkzeug, threaded) and prints, for the first page (the intro) and a domain page:

* the bytes transferred, gzip as served, for the HTML and every stylesheet, script, font and
  image it links (what a phone downloads on a first visit);
* the time to get and render each page (headless Chromium's navigation timing, or the HTTP
  response time where Chromium is missing), idle and while a second process loads the server
  with concurrent requests.

Run: ``.venv/bin/python benchmarks/page_weight.py [--load-clients 8] [--samples 20]``.
"""

from __future__ import annotations

import argparse
import gzip
import multiprocessing as mp
import re
import shutil
import socket
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

GOAL_BYTES = 25 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(db_url: str, port: int, ready: mp.Event) -> None:
    import logging

    from werkzeug.serving import make_server

    from surveyapp import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": db_url,
            "SECRET_KEY": "benchmark",
            "RATELIMIT_ENABLED": False,
            "BASE_URL": f"http://127.0.0.1:{port}",
        }
    )
    server = make_server("127.0.0.1", port, app, threaded=True)
    ready.set()
    server.serve_forever()


def _setup(db_url: str) -> tuple[str, str]:
    """A database with an open round and one invitation; returns (token, open-link slug)."""
    from surveyapp import create_app
    from surveyapp.extensions import db
    from surveyapp.models import Invitation
    from surveyapp.services import rounds
    from surveyapp.services.reference import seed_partner_types
    from surveyapp.services.tokens import invitation_token, new_nonce, sha256

    app = create_app({"SQLALCHEMY_DATABASE_URI": db_url, "SECRET_KEY": "benchmark"})
    with app.app_context():
        db.create_all()
        seed_partner_types()
        round_ = rounds.create_round(
            instrument_ref="early-help-pathways@1", title="Benchmark round"
        )
        rounds.open_round(round_)
        link = rounds.create_open_link(round_)
        nonce = new_nonce()
        token = invitation_token(nonce)
        db.session.add(
            Invitation(
                round_id=round_.id,
                email="b@example.org",
                partner_type_id=round_.partner_types[0].id,
                token_hash=sha256(token),
                token_nonce=nonce,
            )
        )
        db.session.commit()
        return token, link.slug


def _get(url: str) -> tuple[bytes, dict[str, str]]:
    req = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(req) as resp:
        return resp.read(), dict(resp.headers)


def _weight(base: str, path: str) -> dict[str, int]:
    """Bytes on the wire for a page and each resource it links, by kind."""
    body, headers = _get(base + path)
    html = (
        gzip.decompress(body).decode()
        if headers.get("Content-Encoding") == "gzip"
        else body.decode()
    )
    sizes = {"html": len(body), "css": 0, "js": 0, "fonts": 0, "images": 0}
    for ref in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        data, _ = _get(base + ref)
        kind = {"css": "css", "js": "js", "woff": "fonts", "woff2": "fonts"}.get(
            ref.rsplit(".", 1)[-1], "images"
        )
        sizes[kind] += len(data)
    return sizes


def _load(url: str, clients: int, stop: mp.Event) -> None:
    """Second process: ``clients`` threads fetching the page as fast as they can."""
    import threading

    def worker() -> None:
        while not stop.is_set():
            try:
                _get(url)
            except OSError:
                time.sleep(0.01)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    stop.wait()


def _timings(base: str, paths: list[str], samples: int) -> dict[str, list[float]]:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    result: dict[str, list[float]] = {p: [] for p in paths}
    if Path(chromium).exists():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=chromium, headless=True, args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 360, "height": 740})
            for path in paths:
                for _ in range(samples):
                    page.goto(base + path)
                    result[path].append(
                        page.evaluate(
                            "(() => { const n = performance.getEntriesByType('navigation')[0];"
                            " return n.loadEventEnd - n.startTime; })()"
                        )
                    )
            browser.close()
    else:
        for path in paths:
            for _ in range(samples):
                start = time.perf_counter()
                _get(base + path)
                result[path].append((time.perf_counter() - start) * 1000)
    return result


def _summary(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"median {statistics.median(values):6.1f} ms, p95 {p95:6.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--load-clients", type=int, default=8)
    parser.add_argument("--samples", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        token, slug = _setup(db_url)
        port = _free_port()
        ready = mp.Event()
        server = mp.Process(target=_serve, args=(db_url, port, ready), daemon=True)
        server.start()
        ready.wait(30)
        base = f"http://127.0.0.1:{port}"
        pages = {"the one-page form": f"/s/{token}"}
        print("Bytes transferred, gzip as served (first visit, nothing cached):")
        for name, path in pages.items():
            sizes = _weight(base, path)
            total = sum(sizes.values())
            detail = ", ".join(f"{k} {v:,}" for k, v in sizes.items())
            verdict = "within" if total <= GOAL_BYTES else "OVER"
            print(f"  {name:20} {total:7,} bytes ({detail}) {verdict} the 25 KB goal")
        idle = _timings(base, list(pages.values()), args.samples)
        stop = mp.Event()
        load = mp.Process(target=_load, args=(f"{base}/s/{token}", args.load_clients, stop))
        load.start()
        time.sleep(1)
        busy = _timings(base, list(pages.values()), args.samples)
        stop.set()
        load.join(10)
        print(f"Time to load and render at 360 x 740 ({args.samples} samples each):")
        for name, path in pages.items():
            print(f"  {name:20} idle: {_summary(idle[path])}")
            print(
                f"  {name:20} under load ({args.load_clients} clients in a second process): "
                f"{_summary(busy[path])}"
            )
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
