"""Addresses of the app's pages as people outside it are given them (printed by the command
line, shown to leads, written into emails): built from the routes, at ``BASE_URL``.

Built with the app's URL map bound to ``BASE_URL`` rather than the request's host: the public
address is the same from the command line, from a queued email and from a lead's browser,
whatever name the lead reached the app by.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """The public address of ``endpoint`` (``url_for``'s names and arguments)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def open_link_url(slug: str) -> str:
    """The public address of an open link."""
    return public_url("respond.open_intro", slug=slug)


def invitation_url(token: str) -> str:
    """The public address of a personal survey link."""
    return public_url("respond.invite_intro", token=token)
