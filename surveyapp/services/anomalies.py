"""Open-link responses that look automated: flags leads see per link, and exclusion of a
flagged batch from every report (docs/privacy.md, "Open-link anomaly flags").

Two rules, each a fact about a response, never about a person:

- ``burst``: more than ``OPEN_LINK_BURST_LIMIT`` (default 20 per hour) submissions through one
  link from one network address. The address is never stored: only a keyed hash of it (the key
  is derived from the instance secret and today's date, so it changes every day) is counted in
  the rate limiter's storage (memory, or Redis when configured), where it expires with its
  window. Nothing ties a count to a response: the response only gets the word ``burst``.
- ``identical``: the about-you and statement answers equal those of another response through
  the same link on the same day (responses carry a day, not a time). Both are flagged.

A lead excludes (or includes again) every response of one link with one flag; each is audited,
and the round's report version is bumped so no cached report keeps the old data.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from limits import parse

from surveyapp import timeutil
from surveyapp.extensions import db, limiter
from surveyapp.models import OpenLink, Response, User
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.report_version import bump_report_version

if TYPE_CHECKING:
    from surveyapp.services.submissions import Respondent

logger = logging.getLogger(__name__)

BURST = "burst"
IDENTICAL = "identical"
#: Flag -> what leads are told.
REASONS = {
    BURST: "many submissions from one network address within an hour",
    IDENTICAL: "answers identical to another response through this link on the same day",
}


def _address_key(address: str, today: date) -> str:
    """A keyed hash of the address under today's key: the same address gives another value
    tomorrow, and nobody without the instance secret can test an address against it."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    day_key = hmac.new(secret, b"open-burst:" + today.isoformat().encode(), hashlib.sha256)
    return hmac.new(day_key.digest(), address.encode(), hashlib.sha256).hexdigest()[:32]


def note_open_submit(link_id: int | None, address: str | None) -> str | None:
    """Count one submission through an open link from ``address`` and return ``burst`` when
    it goes over the limit (the first submissions of a burst are not flagged), else None."""
    if link_id is None or not address or not current_app.config.get("RATELIMIT_ENABLED", True):
        return None  # rate limiting switched off: no counts are kept anywhere
    item = parse(current_app.config.get("OPEN_LINK_BURST_LIMIT") or "20 per hour")
    key = _address_key(address, timeutil.today())
    try:
        within = limiter.limiter.hit(item, "open-burst", str(link_id), key)
    except Exception:  # the limiter's storage is down: a flag never stops a response
        logger.warning("open-link burst count unavailable", exc_info=True)
        return None
    return None if within else BURST


def answer_pattern(about: dict[str, str], answers: dict[str, str]) -> str:
    """SHA-256 of the about-you and statement answers, in a canonical order."""
    text = json.dumps([sorted(about.items()), sorted(answers.items())], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


_RESPONSES = Response.__table__.c
#: Whether a response of the link has this answer pattern on this day.
_SAME_PATTERN = sa.select(
    sa.exists().where(
        _RESPONSES.open_link_id == sa.bindparam("link_id"),
        _RESPONSES.submitted_on == sa.bindparam("today"),
        _RESPONSES.pattern == sa.bindparam("pattern"),
    )
)


def flag_for(link_id: int, pattern: str, today: date, burst: str | None) -> str | None:
    """The flag of a new response through ``link_id`` with this answer pattern: ``identical``
    when another response of the link has the same pattern today (flagged too, keeping any
    exclusion), else ``burst`` when the submission was part of a burst, else None."""
    params = {"link_id": link_id, "today": today, "pattern": pattern}
    if not db.session.connection().scalar(_SAME_PATTERN, params):
        return burst  # the usual case: one indexed look-up, built once
    same = (
        Response.open_link_id == link_id,
        Response.submitted_on == today,
        Response.pattern == pattern,
    )
    db.session.execute(
        sa.update(Response)
        .where(*same, sa.or_(Response.flag.is_(None), Response.flag != IDENTICAL))
        .values(flag=IDENTICAL)
    )
    return IDENTICAL


def note_submit(respondent: Respondent, address: str | None) -> None:
    """Before an open-link submission: count it, and note ``burst`` on the respondent when it
    goes over the limit (invitations are not counted)."""
    if respondent.open_link_id is not None:
        flag = note_open_submit(respondent.open_link_id, address)
        if flag:
            respondent.flags.append(flag)


def response_columns(
    respondent: Respondent, about: dict[str, str], answers: dict[str, str], today: date
) -> dict[str, Any]:
    """The open-link columns of a new response: its link, answer pattern and flag (none for
    invitations)."""
    link_id = respondent.open_link_id
    if link_id is None:
        return {}
    pattern = answer_pattern(about, answers)
    burst = BURST if BURST in respondent.flags else None
    return {
        "open_link_id": link_id,
        "pattern": pattern,
        "flag": flag_for(link_id, pattern, today, burst),
    }


@dataclass(frozen=True)
class FlagCount:
    flag: str
    reason: str
    flagged: int
    excluded: int


def flag_counts(link: OpenLink) -> list[FlagCount]:
    """Flagged and excluded responses of one link, per flag."""
    rows = db.session.execute(
        sa.select(
            Response.flag,
            sa.func.count(),
            sa.func.count(sa.case((Response.excluded, 1))),
        )
        .where(Response.open_link_id == link.id, Response.flag.is_not(None))
        .group_by(Response.flag)
        .order_by(Response.flag)
    )
    return [FlagCount(str(f), REASONS.get(str(f), str(f)), n, x) for f, n, x in rows]


def set_excluded(link: OpenLink, flag: str, excluded: bool, *, by: User | None = None) -> int:
    """Exclude from every report (or include again) every response of ``link`` flagged
    ``flag``; audited. Returns how many responses changed. Flushes."""
    if flag not in REASONS:
        raise ServiceError(f"{flag!r} is not a flag", "flag")
    changed = db.session.execute(
        sa.update(Response)
        .where(
            Response.open_link_id == link.id,
            Response.flag == flag,
            Response.excluded == (not excluded),
        )
        .values(excluded=excluded)
    ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise ServiceError(
            "no flagged responses to exclude" if excluded else "no excluded responses to include"
        )
    record(
        "open_link.exclude" if excluded else "open_link.include",
        user=by,
        round_id=link.round_id,
        slug=link.slug,
        flag=flag,
        responses=changed,
    )
    bump_report_version(link.round_id)
    return changed
