"""Rounds: creation from an instrument, settings, and the draft -> open -> closed lifecycle."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa

from surveyapp import timeutil
from surveyapp.analysis.basics import SMALLEST_MIN_GROUP_SIZE
from surveyapp.analysis.compared import default_compared_round
from surveyapp.extensions import db
from surveyapp.instruments import Instrument, InstrumentError, get_instrument
from surveyapp.models import (
    Draft,
    InstrumentSnapshot,
    Invitation,
    PartnerType,
    Response,
    Round,
    User,
)
from surveyapp.models.base import utcnow
from surveyapp.models.rounds import RoundStatus
from surveyapp.services import Problems, ServiceError, ServiceErrors
from surveyapp.services.audit import record
from surveyapp.services.report_version import bump_report_version
from surveyapp.services.rounds.lookups import (
    localities_by_name,
    locality_name_problem,
    partner_types_by_slug,
    slugify,
)
from surveyapp.services.rounds.signposts import check_signposts
from surveyapp.services.rounds.wording import EmailWording, check_wording, wording_of

MAX_REMINDERS_LIMIT = 5
T = TypeVar("T")


def snapshot_for(instrument: Instrument) -> InstrumentSnapshot:
    """The stored snapshot of exactly this definition, created on first use."""
    digest = instrument.sha256()
    snap = db.session.scalar(
        sa.select(InstrumentSnapshot).where(
            InstrumentSnapshot.key == instrument.key,
            InstrumentSnapshot.version == instrument.version,
            InstrumentSnapshot.content_sha256 == digest,
        )
    )
    if snap is None:
        snap = InstrumentSnapshot(
            key=instrument.key,
            version=instrument.version,
            title=instrument.title,
            content_sha256=digest,
            definition=instrument.to_dict(),
        )
        db.session.add(snap)
        db.session.flush()
    return snap


def latest_closed_round(
    instrument_key: str, closes_on: date | None, *, before: Round | None = None
) -> Round | None:
    """The round a round of ``instrument_key`` closing on ``closes_on`` (``before``, if it
    exists) is compared with when none is chosen (analysis.compared.default_compared_round)."""
    query = (
        sa.select(Round)
        .join(Round.instrument)
        .where(InstrumentSnapshot.key == instrument_key, Round.status == RoundStatus.CLOSED.value)
    )
    if before is not None and before.id is not None:
        query = query.where(Round.id != before.id)
    closed = {r.id: r for r in db.session.scalars(query)}
    chosen = default_compared_round(closes_on, ((r.id, r.closes_on) for r in closed.values()))
    return None if chosen is None else closed[chosen]


def create_round(
    *,
    instrument_ref: str,
    title: str,
    partner_type_slugs: Iterable[str] = (),
    locality_names: Iterable[str] = (),
    min_group_size: int = 10,
    opens_on: date | None = None,
    closes_on: date | None = None,
    compared_round_id: int | None = None,
    signposts: dict[str, Any] | None = None,
    thank_you_message: str = "",
    results_message: str = "",
    reminder_gap_days: int = 7,
    max_reminders: int = 2,
    wording: EmailWording | None = None,
    by: User | None = None,
) -> Round:
    """A new draft round. No partner types given means every active partner type.

    Every broken rule is reported at once (:class:`~surveyapp.services.ServiceErrors`)."""
    slugs = list(partner_type_slugs)
    settings = RoundSettings(
        title=title,
        instrument_ref=instrument_ref,
        opens_on=opens_on,
        closes_on=closes_on,
        partner_type_slugs=tuple(slugs)
        if slugs
        else tuple(
            db.session.scalars(
                sa.select(PartnerType.slug).where(PartnerType.active).order_by(PartnerType.position)
            )
        ),
        locality_names=tuple(locality_names),
        min_group_size=min_group_size,
        compared_round_id=compared_round_id,
        signposts=signposts or {},
        thank_you_message=thank_you_message,
        results_message=results_message,
        reminder_gap_days=reminder_gap_days,
        max_reminders=max_reminders,
        wording=wording or EmailWording(),
    )
    return create_round_from(settings, by=by)


def open_round(round_: Round, *, by: User | None = None) -> None:
    if round_.status == RoundStatus.CLOSED.value:
        raise ServiceError("a closed round cannot be opened again; reopen it instead")
    if round_.status == RoundStatus.OPEN.value:
        return
    if round_.closes_on is not None and round_.closes_on < timeutil.today():
        raise ServiceError(
            "the closing date has passed: change it before opening the round", "closes_on"
        )
    if not round_.partner_types:
        raise ServiceError(
            "choose at least one partner type before opening the round", "partner_types"
        )
    round_.status = RoundStatus.OPEN.value
    round_.opened_at = utcnow()
    record("round.open", user=by, round_id=round_.id)


def close_round(round_: Round, *, by: User | None = None) -> None:
    """Stop taking answers now; the moment is kept as the round's real closing time."""
    if round_.status != RoundStatus.OPEN.value:
        raise ServiceError("only an open round can be closed")
    round_.status = RoundStatus.CLOSED.value
    round_.closed_at = utcnow()
    record("round.close", user=by, round_id=round_.id)


def can_reopen(round_: Round) -> bool:
    """A closed round may take answers again until its planned closing date has passed."""
    return round_.status == RoundStatus.CLOSED.value and (
        round_.closes_on is None or round_.closes_on >= timeutil.today()
    )


def reopen_round(round_: Round, *, by: User | None = None) -> None:
    """Take answers again after closing early (within the planned closing date). A published
    summary is taken down, since the figures will change."""
    if round_.status != RoundStatus.CLOSED.value:
        raise ServiceError("only a closed round can be reopened")
    if not can_reopen(round_):
        raise ServiceError(
            "the round's closing date has passed, so it cannot be reopened; "
            "create a new round instead"
        )
    round_.status = RoundStatus.OPEN.value
    round_.closed_at = None
    was_published = round_.published_at is not None
    round_.published_at = None
    record("round.reopen", user=by, round_id=round_.id, unpublished=was_published)


def closed_on(round_: Round) -> date | None:
    """The day the round really stopped taking answers (council time zone): the day it was
    closed, else its planned closing date."""
    if round_.closed_at is not None:
        return timeutil.to_local(round_.closed_at).date()
    return round_.closes_on


def response_counts() -> dict[int, int]:
    """Round id -> number of responses."""
    from surveyapp.models import Response

    rows = db.session.execute(
        sa.select(Response.round_id, sa.func.count()).group_by(Response.round_id)
    )
    return {rid: n for rid, n in rows}


def _checked_title(title: str) -> str:
    title = title.strip()
    if not title:
        raise ServiceError("enter a title for the round", "title")
    if len(title) > 200:
        raise ServiceError("the title must be 200 characters or fewer", "title")
    return title


def _instrument(ref: str) -> Instrument:
    try:
        return get_instrument(ref)
    except InstrumentError as exc:
        raise ServiceError(str(exc), "instrument") from exc


def _check_numbers(
    problems: Problems, min_group_size: int, reminder_gap_days: int, max_reminders: int
) -> None:
    if min_group_size < SMALLEST_MIN_GROUP_SIZE:
        problems.add(
            f"the minimum reporting group size cannot be below {SMALLEST_MIN_GROUP_SIZE}",
            "min_group_size",
        )
    elif min_group_size > 1000:
        problems.add("the minimum reporting group size must be 1,000 or fewer", "min_group_size")
    if not 1 <= reminder_gap_days <= 60:
        problems.add("the gap between reminders must be between 1 and 60 days", "reminder_gap_days")
    if not 0 <= max_reminders <= MAX_REMINDERS_LIMIT:
        problems.add(
            f"the number of reminders must be between 0 and {MAX_REMINDERS_LIMIT}", "max_reminders"
        )


def _compared_round(round_id: int, instrument_key: str, current: Round | None) -> Round:
    compared = db.session.get(Round, round_id)
    if compared is None:
        raise ServiceError(f"there is no round {round_id} to compare with", "compared_round_id")
    if current is not None and compared.id == current.id:
        raise ServiceError("a round cannot be compared with itself", "compared_round_id")
    if compared.instrument.key != instrument_key:
        raise ServiceError(
            "the round compared with must use the same instrument", "compared_round_id"
        )
    return compared


def answered_count(round_: Round) -> int:
    """Responses plus answers in progress: once this is above 0 the questions are fixed."""
    responses = db.session.scalar(
        sa.select(sa.func.count()).select_from(Response).where(Response.round_id == round_.id)
    )
    drafts = db.session.scalar(
        sa.select(sa.func.count()).select_from(Draft).where(Draft.round_id == round_.id)
    )
    return (responses or 0) + (drafts or 0)


@dataclass(frozen=True)
class RoundSettings:
    """Everything a lead sets on a round, as the round form gives it."""

    title: str
    instrument_ref: str
    opens_on: date | None
    closes_on: date | None
    partner_type_slugs: tuple[str, ...]
    locality_names: tuple[str, ...]
    min_group_size: int
    compared_round_id: int | None
    signposts: dict[str, Any]
    thank_you_message: str
    results_message: str
    reminder_gap_days: int
    max_reminders: int
    wording: EmailWording

    @classmethod
    def of(cls, round_: Round) -> RoundSettings:
        """The round's current settings (to fill the edit form)."""
        return cls(
            title=round_.title,
            instrument_ref=f"{round_.instrument.key}@{round_.instrument.version}",
            opens_on=round_.opens_on,
            closes_on=round_.closes_on,
            partner_type_slugs=tuple(p.slug for p in round_.partner_types),
            locality_names=tuple(loc.name for loc in round_.localities),
            min_group_size=round_.min_group_size,
            compared_round_id=round_.compared_round_id,
            signposts=dict(round_.signposts or {}),
            thank_you_message=round_.thank_you_message,
            results_message=round_.results_message,
            reminder_gap_days=round_.reminder_gap_days,
            max_reminders=round_.max_reminders,
            wording=wording_of(round_),
        )


@dataclass(frozen=True)
class _Checked:
    """Settings that passed every rule, resolved to what the round stores."""

    title: str
    instrument: Instrument
    signposts: dict[str, dict[str, str]]
    wording: EmailWording
    partner_types: list[PartnerType]
    compared: Round | None


def _check(settings: RoundSettings, round_: Round | None) -> _Checked:
    """Check every setting (and, for an existing round, what may still change), reporting all
    broken rules together. Writes nothing."""
    problems = Problems()

    def attempt(fn: Callable[[], T]) -> T | None:
        try:
            return fn()
        except ServiceError as exc:
            problems.collect(exc)
            return None

    title = attempt(lambda: _checked_title(settings.title))
    instrument = attempt(lambda: _instrument(settings.instrument_ref))
    _check_numbers(
        problems, settings.min_group_size, settings.reminder_gap_days, settings.max_reminders
    )
    if settings.opens_on and settings.closes_on and settings.closes_on < settings.opens_on:
        problems.add("the closing date must be on or after the opening date", "closes_on")
    signposts = (
        attempt(lambda: check_signposts(instrument, settings.signposts)) if instrument else None
    )
    wording = attempt(lambda: check_wording(settings.wording))
    partner_types: list[PartnerType] | None = None
    if not settings.partner_type_slugs:
        problems.add("choose at least one partner type", "partner_types")
    else:
        partner_types = attempt(lambda: partner_types_by_slug(settings.partner_type_slugs))
    for name in settings.locality_names:
        if problem := locality_name_problem(name.strip()):
            problems.add(problem, "new_localities")
    compared: Round | None = None
    if instrument is not None:
        if settings.compared_round_id is not None:
            compared = attempt(
                lambda: _compared_round(settings.compared_round_id or 0, instrument.key, round_)
            )
        else:
            compared = latest_closed_round(instrument.key, settings.closes_on, before=round_)
    if round_ is not None:
        _check_change(problems, round_, settings, instrument)
    problems.raise_any()
    assert title is not None and instrument is not None  # raise_any: no problems, so all set
    assert signposts is not None and wording is not None and partner_types is not None
    return _Checked(title, instrument, signposts, wording, partner_types, compared)


def _check_change(
    problems: Problems, round_: Round, settings: RoundSettings, instrument: Instrument | None
) -> None:
    """What may no longer change: anything once closed; the instrument once anyone answered;
    while open, the opening date, a past closing date, and partner types or localities in use."""
    if round_.status == RoundStatus.CLOSED.value:
        problems.add("this round is closed, so its settings can no longer change")
        return
    before = RoundSettings.of(round_)
    if instrument is not None and instrument.ref != before.instrument_ref:
        answered = answered_count(round_)
        if answered:
            problems.add(
                f"the instrument cannot change because {answered} "
                f"{'person has' if answered == 1 else 'people have'} already answered this "
                f"round; create a new round to use a different instrument",
                "instrument",
            )
    if round_.status != RoundStatus.OPEN.value:
        return
    if settings.opens_on != before.opens_on:
        problems.add("the round is already open, so its opening date cannot change", "opens_on")
    if settings.closes_on is not None and settings.closes_on < timeutil.today():
        problems.add(
            "the closing date cannot be in the past; to stop answers now, close the round",
            "closes_on",
        )
    used_types, used_localities = _used_partner_types_and_localities(round_)
    kept_slugs = set(settings.partner_type_slugs)
    dropped = [
        p.label for p in round_.partner_types if p.id in used_types and p.slug not in kept_slugs
    ]
    if dropped:
        problems.add(
            f"{', '.join(dropped)} cannot be removed while the round is open: "
            f"people of that type have been invited or have answered",
            "partner_types",
        )
    kept = {slugify(n) for n in settings.locality_names} | {
        n.strip().lower() for n in settings.locality_names
    }
    dropped = [
        loc.name
        for loc in round_.localities
        if loc.id in used_localities and loc.slug not in kept and loc.name.lower() not in kept
    ]
    if dropped:
        problems.add(
            f"{', '.join(dropped)} cannot be removed while the round is open: "
            f"people there have been invited or have answered",
            "localities",
        )


def settings_problems(settings: RoundSettings, round_: Round | None = None) -> list[ServiceError]:
    """Every rule the settings break (none: an empty list), for a form to show all at once."""
    try:
        _check(settings, round_)
    except ServiceErrors as exc:
        return exc.errors
    except ServiceError as exc:
        return [exc]
    return []


def create_round_from(settings: RoundSettings, *, by: User | None = None) -> Round:
    """A new draft round from the round form."""
    checked = _check(settings, None)
    round_ = Round(
        title=checked.title,
        instrument=snapshot_for(checked.instrument),
        status=RoundStatus.DRAFT.value,
        min_group_size=settings.min_group_size,
        opens_on=settings.opens_on,
        closes_on=settings.closes_on,
        compared_round=checked.compared,
        signposts=checked.signposts,
        thank_you_message=settings.thank_you_message.strip(),
        results_message=settings.results_message.strip(),
        reminder_gap_days=settings.reminder_gap_days,
        max_reminders=settings.max_reminders,
        invitation_subject=checked.wording.invitation_subject,
        invitation_body=checked.wording.invitation_body,
        reminder_subject=checked.wording.reminder_subject,
        reminder_body=checked.wording.reminder_body,
        partner_types=checked.partner_types,
        localities=localities_by_name(settings.locality_names),
        created_by_id=by.id if by else None,
    )
    db.session.add(round_)
    db.session.flush()
    record(
        "round.create",
        user=by,
        round_id=round_.id,
        title=checked.title,
        instrument=checked.instrument.ref,
    )
    return round_


def _used_partner_types_and_localities(round_: Round) -> tuple[set[int], set[int]]:
    """Partner type and locality ids that invitations or responses of the round already use."""
    types: set[int] = set()
    localities: set[int] = set()
    for model in (Invitation, Response):
        rows = db.session.execute(
            sa.select(model.partner_type_id, model.locality_id)
            .where(model.round_id == round_.id)
            .distinct()
        )
        for type_id, locality_id in rows:
            types.add(type_id)
            if locality_id is not None:
                localities.add(locality_id)
    return types, localities


def update_round(round_: Round, settings: RoundSettings, *, by: User | None = None) -> list[str]:
    """Change a draft or open round; returns the names of the settings that changed.

    A draft may change freely. An open round may not change its opening date, may not drop a
    partner type or locality that invitations or responses already use, and may not change its
    instrument once anyone has answered. A closed round does not change at all.
    """
    before = RoundSettings.of(round_)
    checked = _check(settings, round_)
    if checked.instrument.ref != before.instrument_ref:
        round_.instrument = snapshot_for(checked.instrument)
    round_.title = checked.title
    round_.opens_on = settings.opens_on
    round_.closes_on = settings.closes_on
    round_.partner_types = checked.partner_types
    round_.localities = localities_by_name(settings.locality_names)
    round_.min_group_size = settings.min_group_size
    round_.compared_round = checked.compared
    round_.signposts = checked.signposts
    round_.thank_you_message = settings.thank_you_message.strip()
    round_.results_message = settings.results_message.strip()
    round_.reminder_gap_days = settings.reminder_gap_days
    round_.max_reminders = settings.max_reminders
    for f in fields(EmailWording):
        setattr(round_, f.name, getattr(checked.wording, f.name))
    db.session.flush()
    after = RoundSettings.of(round_)
    changed = [
        f.name for f in fields(RoundSettings) if getattr(before, f.name) != getattr(after, f.name)
    ]
    if changed:
        bump_report_version(round_.id)
        record("round.update", user=by, round_id=round_.id, changed=changed)
    return changed


def delete_round(round_: Round, *, by: User | None = None) -> None:
    """Delete a draft round that nobody has answered (with its invitations and open links)."""
    if round_.status != RoundStatus.DRAFT.value:
        raise ServiceError(f"only a draft round can be deleted; this round is {round_.status}")
    answered = answered_count(round_)
    if answered:
        raise ServiceError(f"this round has {answered} response(s), so it cannot be deleted")
    record("round.delete", user=by, round_id=None, deleted_round_id=round_.id, title=round_.title)
    db.session.delete(round_)
    db.session.flush()


def settings_copied_from(
    source: Round,
    *,
    title: str = "",
    opens_on: date | None = None,
    closes_on: date | None = None,
    instrument_ref: str | None = None,
) -> RoundSettings:
    """A new round's settings copied from an earlier round: partner types and localities still in
    use, minimum group size, signposts, messages, reminders and email wording. Title and dates are
    the new round's own; the round compared with is chosen afresh."""
    copied = RoundSettings.of(source)
    ref = instrument_ref or copied.instrument_ref
    domains = {d.key for d in _instrument(ref).domains}
    return dataclasses.replace(
        copied,
        title=title,
        instrument_ref=ref,
        opens_on=opens_on,
        closes_on=closes_on,
        partner_type_slugs=tuple(p.slug for p in source.partner_types if p.active),
        locality_names=tuple(loc.name for loc in source.localities if loc.active),
        compared_round_id=None,
        signposts={k: v for k, v in copied.signposts.items() if k in domains},
    )
