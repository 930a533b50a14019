"""``responses import``: a wide CSV of responses, validated whole before anything is written."""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from surveyapp import timeutil
from surveyapp.extensions import db
from surveyapp.instruments import Instrument
from surveyapp.instruments.about import STORED_ABOUT
from surveyapp.instruments.questions import (
    AboutQuestionType,
    AnswerError,
    ChoiceQuestion,
    Offer,
    question_type,
)
from surveyapp.instruments.scales import DONT_KNOW_LABEL
from surveyapp.models import Answer, ImportBatch, Response, Round, User
from surveyapp.models.responses import PACKED_COLUMNS, instrument_packer, random_id
from surveyapp.services import ServiceError
from surveyapp.services.audit import record
from surveyapp.services.bulk import bulk_insert
from surveyapp.services.report_version import bump_report_version
from surveyapp.services.rounds import get_or_create_locality, locality_name_problem

MAX_ROWS = 100_000
OPTIONAL_COLUMNS = ("locality", "role_level", "training")
#: A file holding NUL characters is not text (and PostgreSQL could not store them).
NUL_MESSAGE = "the file contains NUL characters, so it is not CSV text; save it as CSV UTF-8"
#: An import row's about-you cells are read against no link: nothing is fixed.
NO_OFFER = Offer()
_DONT_KNOW = {"dk", "don't know", "dont know", "don’t know", DONT_KNOW_LABEL.lower()}


#: One parsed answer: (item id, value, dont know).
Parsed = tuple[str, int | None, bool]


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


#: The ``responses`` columns an import writes, in the order of the tuples built below.
_RESPONSE_COLUMNS = (
    "id",
    "round_id",
    "partner_type_id",
    "locality_id",
    "role_level",
    "training",
    "channel",
    "submitted_on",
    "import_batch_id",
    *PACKED_COLUMNS,
)
_ANSWER_COLUMNS = ("response_id", "item_id", "value", "dont_know")


def _answer_codes(labels: dict[str, int]) -> dict[str, tuple[int | None, bool]]:
    """Every accepted answer text (stripped, lower case) to its (value, dont_know)."""
    codes: dict[str, tuple[int | None, bool]] = {text: (None, True) for text in _DONT_KNOW}
    codes.update({str(v): (v, False) for v in range(1, 6)})
    codes.update({label: (value, False) for label, value in labels.items()})
    return codes


def about_types(instrument: Instrument) -> dict[str, AboutQuestionType]:
    """The instrument's about-you questions a response keeps in a column of its own (role
    level, training), as question-type objects: they parse and validate the import's cells
    exactly as the form's answers (codes or labels, any case)."""
    return {
        q.id: question_type(q)
        for q in instrument.about
        if q.id in STORED_ABOUT and q.kind == ChoiceQuestion.kind
    }


def parse_about(
    record_: list[str], col: dict[str, int], types: Mapping[str, AboutQuestionType]
) -> tuple[dict[str, str | None], list[str]]:
    """The "about you" answers of one row (role_level, training) and the reasons they are
    refused, each cell read by its question type (:func:`about_types`); a column the
    instrument asks no question for accepts the stored codes."""
    about: dict[str, str | None] = {}
    reasons: list[str] = []
    for name, allowed in STORED_ABOUT.items():
        raw = record_[col[name]] if name in col else ""
        value: str | None = None
        if raw.strip():
            kind = types.get(name)
            if kind is None:
                value = raw.strip().lower()
                if value not in allowed:
                    reasons.append(f"{name} {value!r} is not one of {', '.join(allowed)}")
                    value = None
            else:
                try:
                    value = kind.clean(raw, NO_OFFER)
                except AnswerError as exc:
                    reasons.append(f"{name}: {exc}")
        about[name] = value
    return about, reasons


def import_responses(
    round_: Round, content: bytes, filename: str, *, by: User | None = None
) -> ImportBatch:
    """Validate every row, then add them all, or raise :class:`ImportFailed` and add nothing.

    Rows are kept as plain tuples (not ORM objects) and written with one bulk insert per table
    (COPY on PostgreSQL, ``executemany`` elsewhere) in the caller's transaction: 100,000 rows
    take seconds and a few hundred MB, where the ORM took minutes and gigabytes.
    """
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
    del content
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
    codes = _answer_codes({label.lower(): value for value, label in instrument.scale_def.points})
    # In item id order, so each response's answers arrive in primary-key order.
    item_columns = sorted(
        ((i, h) for i, h in enumerate(header) if instrument.has_item(h)), key=lambda c: c[1]
    )
    col = {h: i for i, h in enumerate(header)}
    kinds = about_types(instrument)
    partner_col = col["partner_type"]
    locality_col = col.get("locality")
    width = len(header)

    # (response id, partner type id, locality name, role level, training, its answers) per
    # good row, each answer (item id, value, dont know): plain tuples, small and fast.
    responses: list[tuple[int, int, str | None, str | None, str | None, tuple[Parsed, ...]]] = []
    used_ids: set[int] = set()
    row_number = seen = 1
    try:
        for record_ in reader:
            row_number += 1
            if not any(cell.strip() for cell in record_):
                continue
            seen += 1
            if seen > MAX_ROWS + 1:
                raise ImportFailed(f"the file has more than {MAX_ROWS} rows; split it")
            if len(record_) != width:
                problems.append(
                    RowProblem(row_number, f"has {len(record_)} cells, the header has {width}")
                )
                continue
            reasons: list[str] = []
            slug = record_[partner_col].strip()
            if not slug:
                reasons.append("partner_type is empty")
            elif slug not in partner_types:
                reasons.append(f"partner type {slug!r} is not part of this round")
            locality = None
            if locality_col is not None and record_[locality_col].strip():
                raw_loc = record_[locality_col].strip()
                if round_localities:
                    locality = round_localities.get(raw_loc.lower())
                    if locality is None:
                        reasons.append(f"locality {raw_loc!r} is not part of this round")
                elif locality_name_problem(raw_loc):
                    reasons.append(f"locality: {locality_name_problem(raw_loc)}")
                else:
                    locality = raw_loc
            about, about_reasons = parse_about(record_, col, kinds)
            reasons += about_reasons
            row_answers: list[Parsed] = []
            for index, item_id in item_columns:
                raw = record_[index]
                if not raw or raw.isspace():
                    continue
                parsed = codes.get(raw.strip().lower())
                if parsed is None:
                    reasons.append(f"{item_id} {raw.strip()!r} is not 1-5, a scale label or DK")
                    continue
                row_answers.append((item_id, parsed[0], parsed[1]))
            if not row_answers and not reasons:
                reasons.append("has no answers")
            if reasons:
                problems.append(RowProblem(row_number, "; ".join(reasons)))
                continue
            if problems:
                continue  # the file is refused anyway: keep only the problems
            response_id = random_id()
            while response_id in used_ids:
                response_id = random_id()
            used_ids.add(response_id)
            responses.append(
                (
                    response_id,
                    partner_types[slug],
                    locality,
                    about["role_level"],
                    about["training"],
                    tuple(row_answers),
                )
            )
    except csv.Error as exc:
        problems.append(RowProblem(row_number, f"not a readable CSV row ({exc})"))
    del text, reader
    if problems:
        raise ImportFailed(f"{len(problems)} row(s) have problems; nothing was added", problems)
    if not responses:
        raise ImportFailed("the file has no responses")

    batch = ImportBatch(
        round_id=round_.id, content_sha256=digest, filename=filename[:255], row_count=len(responses)
    )
    db.session.add(batch)
    db.session.flush()
    localities: dict[str | None, int] = {
        name: get_or_create_locality(name).id for name in sorted({r[2] for r in responses if r[2]})
    }
    today = timeutil.today()
    db.session.flush()
    # Written in id order: the ids stay random, but the primary-key indexes are filled from
    # one end instead of at random places (SQLite: several times faster).
    responses.sort()
    pack = instrument_packer(instrument).pack
    rows = (
        (rid, round_.id, pt, localities.get(loc), rl, tr, "import", today, batch.id, *pack(answers))
        for rid, pt, loc, rl, tr, answers in responses
    )
    bulk_insert(Response.__tablename__, _RESPONSE_COLUMNS, rows)
    answers = ((r[0], i, v, dk) for r in responses for i, v, dk in r[5])
    bulk_insert(Answer.__tablename__, _ANSWER_COLUMNS, answers)
    bump_report_version(round_.id)
    record("responses.import", user=by, round_id=round_.id, filename=filename, rows=len(responses))
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
