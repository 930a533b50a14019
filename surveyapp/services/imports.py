"""``responses import``: a wide CSV of responses, validated whole before anything is written."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp import timeutil
from surveyapp.extensions import db
from surveyapp.instruments import Instrument
from surveyapp.instruments.scales import DONT_KNOW_LABEL
from surveyapp.models import Answer, ImportBatch, Response, Round, User
from surveyapp.models.responses import ROLE_LEVELS, TRAINING_ANSWERS
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.report_version import bump_report_version
from surveyapp.services.rounds import get_or_create_locality, locality_name_problem

MAX_ROWS = 100_000
OPTIONAL_COLUMNS = ("locality", "role_level", "training")
#: A file holding NUL characters is not text (and PostgreSQL could not store them).
NUL_MESSAGE = "the file contains NUL characters, so it is not CSV text; save it as CSV UTF-8"
_DONT_KNOW = {"dk", "don't know", "dont know", "don’t know", DONT_KNOW_LABEL.lower()}


@dataclass
class RowProblem:
    row: int
    reason: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.reason}"


class ImportFailed(ServiceError):
    """The file was refused; ``problems`` lists each bad row with its number."""

    def __init__(self, message: str, problems: list[RowProblem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


@dataclass(frozen=True)
class _Row:
    partner_type_id: int
    locality: str | None
    role_level: str | None
    training: str | None
    answers: tuple[tuple[str, int | None, bool], ...]


def _parse_value(raw: str, labels: dict[str, int]) -> tuple[int | None, bool] | None:
    """(value, dont_know), or None when the text is not a valid answer."""
    text = raw.strip().lower()
    if text in _DONT_KNOW:
        return None, True
    if text in {"1", "2", "3", "4", "5"}:
        return int(text), False
    if text in labels:
        return labels[text], False
    return None


def import_responses(
    round_: Round, content: bytes, filename: str, *, by: User | None = None
) -> ImportBatch:
    """Validate every row, then add them all, or raise :class:`ImportFailed` and add nothing."""
    digest = hashlib.sha256(content).hexdigest()
    existing = db.session.scalar(sa.select(ImportBatch).where(ImportBatch.content_sha256 == digest))
    if existing is not None:
        raise ImportFailed(
            f"this file was already imported (as {existing.filename!r} into round "
            f"{existing.round_id}); nothing was added"
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            "the file is not UTF-8 text; save it as CSV UTF-8 and try again"
        ) from exc
    if "\x00" in text:
        raise ImportFailed(NUL_MESSAGE)
    instrument: Instrument = round_.instrument.instrument()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed("the file is empty") from None
    except csv.Error as exc:
        raise ImportFailed(f"row 1: not a readable CSV row ({exc})") from exc
    header = [h.strip() for h in header]
    problems = _check_header(header, instrument)
    if problems:
        raise ImportFailed("the header row is not right; nothing was added", problems)

    partner_types = {p.slug: p.id for p in round_.partner_types}
    round_localities = {loc.name.lower(): loc.name for loc in round_.localities}
    round_localities.update({loc.slug: loc.name for loc in round_.localities})
    labels = {label.lower(): value for value, label in instrument.scale_def.points}
    item_columns = [(i, h) for i, h in enumerate(header) if instrument.has_item(h)]
    col = {h: i for i, h in enumerate(header)}

    rows: list[_Row] = []
    row_number = 1
    try:
        for record_ in reader:
            row_number += 1
            if len(rows) + len(problems) >= MAX_ROWS:
                raise ImportFailed(f"the file has more than {MAX_ROWS} rows; split it")
            if not any(cell.strip() for cell in record_):
                continue
            if len(record_) != len(header):
                problems.append(
                    RowProblem(
                        row_number, f"has {len(record_)} cells, the header has {len(header)}"
                    )
                )
                continue
            reasons: list[str] = []
            slug = record_[col["partner_type"]].strip()
            if not slug:
                reasons.append("partner_type is empty")
            elif slug not in partner_types:
                reasons.append(f"partner type {slug!r} is not part of this round")
            locality = None
            if "locality" in col and record_[col["locality"]].strip():
                raw_loc = record_[col["locality"]].strip()
                if round_localities:
                    locality = round_localities.get(raw_loc.lower())
                    if locality is None:
                        reasons.append(f"locality {raw_loc!r} is not part of this round")
                elif locality_name_problem(raw_loc):
                    reasons.append(f"locality: {locality_name_problem(raw_loc)}")
                else:
                    locality = raw_loc
            extra: dict[str, str | None] = {}
            for name, allowed in (("role_level", ROLE_LEVELS), ("training", TRAINING_ANSWERS)):
                value = record_[col[name]].strip().lower() if name in col else ""
                if value and value not in allowed:
                    reasons.append(f"{name} {value!r} is not one of {', '.join(allowed)}")
                extra[name] = value or None
            answers = []
            for index, item_id in item_columns:
                raw = record_[index]
                if not raw.strip():
                    continue
                parsed = _parse_value(raw, labels)
                if parsed is None:
                    reasons.append(f"{item_id} {raw.strip()!r} is not 1-5, a scale label or DK")
                    continue
                answers.append((item_id, parsed[0], parsed[1]))
            if not answers and not reasons:
                reasons.append("has no answers")
            if reasons:
                problems.append(RowProblem(row_number, "; ".join(reasons)))
                continue
            rows.append(
                _Row(
                    partner_types[slug],
                    locality,
                    extra["role_level"],
                    extra["training"],
                    tuple(answers),
                )
            )
    except csv.Error as exc:
        problems.append(RowProblem(row_number, f"not a readable CSV row ({exc})"))
    if problems:
        raise ImportFailed(f"{len(problems)} row(s) have problems; nothing was added", problems)
    if not rows:
        raise ImportFailed("the file has no responses")

    batch = ImportBatch(
        round_id=round_.id, content_sha256=digest, filename=filename[:255], row_count=len(rows)
    )
    db.session.add(batch)
    db.session.flush()
    localities = {
        name: get_or_create_locality(name).id for name in {r.locality for r in rows if r.locality}
    }
    today = timeutil.today()
    for row in rows:
        response = Response(
            round_id=round_.id,
            partner_type_id=row.partner_type_id,
            locality_id=localities.get(row.locality) if row.locality else None,
            role_level=row.role_level,
            training=row.training,
            channel="import",
            submitted_on=today,
            import_batch_id=batch.id,
        )
        response.answers = [Answer(item_id=i, value=v, dont_know=dk) for i, v, dk in row.answers]
        db.session.add(response)
    bump_report_version(round_.id)
    record("responses.import", user=by, round_id=round_.id, filename=filename, rows=len(rows))
    return batch


def _check_header(header: list[str], instrument: Instrument) -> list[RowProblem]:
    problems = []
    if "partner_type" not in header:
        problems.append(RowProblem(1, "the header has no partner_type column"))
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        problems.append(RowProblem(1, f"repeated column(s): {', '.join(dupes)}"))
    unknown = [
        h
        for h in header
        if h != "partner_type" and h not in OPTIONAL_COLUMNS and not instrument.has_item(h)
    ]
    if unknown:
        problems.append(
            RowProblem(
                1,
                f"unknown column(s) {', '.join(unknown)}: not an item of "
                f"{instrument.ref} nor partner_type/"
                f"{'/'.join(OPTIONAL_COLUMNS)}",
            )
        )
    if not any(instrument.has_item(h) for h in header):
        problems.append(RowProblem(1, "the header names no item of the instrument"))
    return problems
