"""gunicorn.conf.py: invitation tokens never reach the access or error log."""

from __future__ import annotations

import logging
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from surveyapp.redact import redact

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
TOKEN = "Xq3v9-kA_ZpL0mN7rT2yW8bC4dE6fG1hJ5sU0iO9aB"


def test_redact_keeps_everything_but_the_token():
    assert redact(f"GET /s/{TOKEN}/3?check=1 HTTP/1.1") == "GET /s/[token]/3?check=1 HTTP/1.1"
    assert redact(f'"https://x.example/s/{TOKEN}"') == '"https://x.example/s/[token]"'
    assert redact("GET /o/abc123/2 HTTP/1.1") == "GET /o/abc123/2 HTTP/1.1"


def test_access_and_error_logs_redact_invitation_tokens(tmp_path):
    settings = runpy.run_path(str(CONF))
    cfg = Config()
    for name in ("access_log_format", "logger_class"):
        cfg.set(name, settings[name])
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    logger = cfg.logger_class(cfg)
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": f"/s/{TOKEN}/2",
        "PATH_INFO": f"/s/{TOKEN}/2",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://x.example/s/{TOKEN}/1",
        "HTTP_USER_AGENT": "phone",
    }
    resp = SimpleNamespace(status="303 See Other", sent=0, headers=[])
    req = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(resp, req, environ, timedelta(milliseconds=12))
    logger.error("Error handling request %s", f"/s/{TOKEN}/2")
    for handler in (
        logging.getLogger("gunicorn.access").handlers + logging.getLogger("gunicorn.error").handlers
    ):
        handler.flush()
    access = (tmp_path / "access.log").read_text()
    error = (tmp_path / "error.log").read_text()
    assert '"POST /s/[token]/2 HTTP/1.1" 303' in access
    assert '"http://x.example/s/[token]/1"' in access and "12ms" in access
    assert "Error handling request /s/[token]/2" in error
    assert TOKEN not in access + error
    logger.close_on_exec()
    for name in ("gunicorn.access", "gunicorn.error"):
        for handler in list(logging.getLogger(name).handlers):
            handler.close()
            logging.getLogger(name).removeHandler(handler)


def test_the_master_imports_the_report_machinery_before_forking():
    """``on_starting`` (gunicorn's master, before the fork) imports what a report and its PDF
    need, WeasyPrint included, so no worker's first PDF pays about half a second for it, then
    freezes it out of the garbage collector's way."""
    probe = (
        "import runpy, sys; "
        f"conf = runpy.run_path({str(CONF)!r}); "
        "before = {m for m in ('pandas', 'matplotlib', 'weasyprint') if m in sys.modules}; "
        "import gc; frozen = gc.get_freeze_count(); "
        "conf['on_starting'](None); "
        "after = {m for m in ('pandas', 'matplotlib', 'weasyprint') if m in sys.modules}; "
        "print(sorted(before), sorted(after), frozen, gc.get_freeze_count() > 100_000)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=CONF.parent, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    # and it freezes what it loaded (the app and the machinery: several hundred thousand
    # objects) so that the workers' garbage collector leaves it alone
    assert result.stdout.split() == [
        "[]",
        "['matplotlib',",
        "'pandas',",
        "'weasyprint']",
        "0",
        "True",
    ]
