"""Addresses of the respondent pages, as people outside the app are given them (printed by the
command line, shown to leads, written into emails)."""

from __future__ import annotations

from flask import current_app


def open_link_url(slug: str) -> str:
    """The public address of an open link."""
    return current_app.config["BASE_URL"].rstrip("/") + f"/o/{slug}"
