"""Keep invitation tokens out of logs: ``/s/<token>`` paths are logged as ``/s/[token]``.

A personal link's token is a password for that person's answers, so neither the access log nor
the application's error log may hold one. Used by ``gunicorn.conf.py`` (access log) and
``wsgi.py`` (the app logger)."""

from __future__ import annotations

import logging
import re

#: ``/s/`` followed by anything up to the next slash, query, space or quote.
TOKEN_PATH = re.compile(r"/s/[^/?#\s\"']+")
REDACTED = "/s/[token]"


def redact(text: str) -> str:
    """``text`` with every invitation token replaced."""
    return TOKEN_PATH.sub(REDACTED, text) if "/s/" in text else text


class RedactTokensFilter(logging.Filter):
    """A logging filter that redacts tokens in a record's formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Keep the formatted text, so the handler does not format the message a second time.
        record.msg, record.args = redact(record.getMessage()), None
        return True
