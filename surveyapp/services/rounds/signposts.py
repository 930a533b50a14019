"""Signpost links shown to respondents, one per domain of the instrument."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from surveyapp.instruments import Instrument
from surveyapp.services import ServiceError


def check_signposts(instrument: Instrument, raw: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Signpost links by domain: each a label and an http(s) address, or left out entirely."""
    domains = {d.key: d for d in instrument.domains}
    clean: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        if key not in domains:
            raise ServiceError(f"{key!r} is not a domain of {instrument.ref}", "signposts")
        label = str((value or {}).get("label", "")).strip()
        url = str((value or {}).get("url", "")).strip()
        if not label and not url:
            continue
        name = domains[key].label
        if not url:
            raise ServiceError(f"enter the web address for the {name} link", f"signpost_{key}_url")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > 500:
            raise ServiceError(
                f"the {name} link must be a web address starting https://", f"signpost_{key}_url"
            )
        if not label:
            raise ServiceError(
                f"enter the words to show for the {name} link", f"signpost_{key}_label"
            )
        if len(label) > 120:
            raise ServiceError(
                f"the {name} link text must be 120 characters or fewer", f"signpost_{key}_label"
            )
        clean[key] = {"label": label, "url": url}
    return clean
