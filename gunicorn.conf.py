"""gunicorn settings for surveyapp: ``gunicorn -c gunicorn.conf.py wsgi:app``.

Every setting can be overridden on the command line or with ``GUNICORN_CMD_ARGS``; the common
ones also from the environment: ``GUNICORN_BIND``, ``WEB_CONCURRENCY`` (worker processes),
``GUNICORN_THREADS``, ``GUNICORN_TIMEOUT``, ``GUNICORN_ACCESS_LOG`` (``-`` for standard output,
empty for none). See docs/deployment.md.
"""

from __future__ import annotations

import gc
import multiprocessing
import os

from gunicorn.glogging import Logger

from surveyapp.redact import RedactTokensFilter

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
#: Two processes per core plus one: each worker spends part of its time waiting for the database.
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
#: Threads per worker: 1 (plain sync workers) by default. On a quiet 2-core machine sync
#: workers answered as fast as gthread x 4 with a p95 about a third lower and less CPU a
#: response; gthread only looked better while the machine was busy with other work (figures
#: in docs/deployment.md, "How fast"). More than 1 gives gthread workers (keep-alive).
threads = int(os.environ.get("GUNICORN_THREADS") or 1)
worker_class = "gthread" if threads > 1 else "sync"
#: A request that takes longer than this has its worker restarted (report pages are the slowest).
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
#: Restart each worker after this many requests (with jitter), so a slow leak cannot build up.
max_requests = 5000
max_requests_jitter = 500
#: Load the app once in the master before forking: less memory, and a broken configuration
#: stops the start instead of every worker failing. Database connections are made only after
#: the fork (see post_fork).
preload_app = True
#: Trust X-Forwarded-* only from the proxy on this host; set FORWARDED_ALLOW_IPS otherwise.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
#: Combined log format plus the time taken in milliseconds. Invitation tokens in paths are
#: redacted by the logger below, wherever they appear (request line, referrer, error messages).
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'


class RedactingLogger(Logger):
    """gunicorn's logger, with ``/s/<token>`` paths redacted from access and error logs."""

    def setup(self, cfg) -> None:  # noqa: ANN001 - gunicorn's Config
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            if not any(isinstance(f, RedactTokensFilter) for f in log.filters):
                log.addFilter(RedactTokensFilter())


logger_class = RedactingLogger


def post_fork(server, worker) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """Each worker starts with an empty connection pool: never share a socket across a fork."""
    app = getattr(worker, "app", None)
    wsgi = getattr(app, "callable", None) if app is not None else None
    if wsgi is not None and hasattr(wsgi, "app_context"):
        from surveyapp.extensions import db

        with wsgi.app_context():
            for engine in db.engines.values():
                engine.dispose(close=False)


def on_starting(server) -> None:  # noqa: ANN001 - gunicorn's hook signature
    """Import the report machinery (pandas, SciPy, Matplotlib, WeasyPrint) once in the master:
    the app imports it lazily so CLI commands start fast, and with ``preload_app`` the workers
    forked from here share it instead of the first report request in each paying for it."""
    from surveyapp.reporting import preload

    preload()
    # Everything loaded so far (the app, the report machinery) lives as long as the server:
    # frozen, the workers' garbage collector never walks it (a cold report page is about 0.2 s
    # quicker) and never writes to its pages, so forked workers keep sharing them.
    gc.freeze()
