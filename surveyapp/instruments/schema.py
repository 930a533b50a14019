"""The instrument schema: one validator from a TOML file's tables to the typed model.

:func:`build` walks the dataclasses of :mod:`surveyapp.instruments.model` field by field (text,
whole numbers, true/false, lists of tables, an optional table) and reports the first problem as
``file: field: message`` (``broken.toml: about[2].kind: ...``); then :func:`_check` applies the
rules that span fields (ids, references between tables, known scale and question kinds).
Question kinds come from the registry in :mod:`surveyapp.instruments.questions`, so a new kind
is accepted here once it is registered there.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from typing import Any

from surveyapp.instruments.about import STORED_ABOUT
from surveyapp.instruments.model import AboutQuestion, Choice, Instrument, InstrumentError
from surveyapp.instruments.questions import PartnerTypeQuestion, known_kinds, question_type
from surveyapp.instruments.scales import SCALES

_ID = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
_KEY = re.compile(r"^[a-z][a-z0-9-]{1,79}$")
#: What a file may leave out, and what it then gets (the model's own defaults apply too).
_FILE_DEFAULTS: dict[tuple[type, str], Any] = {
    (Instrument, "allow_dont_know"): True,
    (Instrument, "minutes"): 5,
    (Instrument, "about"): (),
}


def _fail(source: str, where: str, message: str) -> InstrumentError:
    return InstrumentError(f"{source}: {where}: {message}")


def _value(tp: Any, raw: Any, required: bool, source: str, where: str) -> Any:
    """One field's value, converted to ``tp`` or refused."""
    origin = typing.get_origin(tp)
    if tp is str:
        if not isinstance(raw, str) or (required and not raw.strip()):
            raise _fail(source, where, "must be non-empty text")
        return raw.strip()
    if tp is bool:
        if not isinstance(raw, bool):
            raise _fail(source, where, "must be true or false")
        return raw
    if tp is int:
        if not isinstance(raw, int) or isinstance(raw, bool) or raw < 1:
            raise _fail(source, where, "must be a whole number of at least 1")
        return raw
    if origin is tuple:
        (inner, _) = typing.get_args(tp)
        name = where.rsplit(".", 1)[-1]
        if not isinstance(raw, list) or not all(isinstance(v, dict) for v in raw):
            if inner is Choice:
                raise _fail(source, where, "must be a list of {value=..., label=...}")
            raise _fail(source, where, f"must be a list of tables ([[{name}]])")
        if required and not raw:
            raise _fail(source, where, "must have at least one entry")
        return tuple(
            _table(inner, entry, source, f"{where}[{n}].") for n, entry in enumerate(raw, 1)
        )
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        if not isinstance(raw, dict):
            raise _fail(source, where, f"must be a table ([{where}])")
        return _table(inner, raw, source, f"{where}.")
    raise TypeError(f"the schema cannot read a field of type {tp!r}")  # pragma: no cover


def _table(cls: type, raw: dict[str, Any], source: str, prefix: str) -> Any:
    """A dataclass of the model from one TOML table: every field present and of its type."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if not f.init or f.name.startswith("_"):
            continue
        where = prefix + f.name
        has_default = f.default is not dataclasses.MISSING or (cls, f.name) in _FILE_DEFAULTS
        raw_value = raw.get(f.name)
        if raw_value is None:
            if not has_default:
                raise _fail(source, where, "is missing")
            if (cls, f.name) in _FILE_DEFAULTS:
                values[f.name] = _FILE_DEFAULTS[cls, f.name]
            continue
        values[f.name] = _value(hints[f.name], raw_value, not has_default, source, where)
    return cls(**values)


def build(data: dict[str, Any], source: str) -> Instrument:
    """Check the parsed TOML (or a snapshot's dict) and build the :class:`Instrument`; the first
    problem raises :class:`InstrumentError` naming ``source`` and the field."""
    data = dict(data)
    # A choice question the response keeps in a column takes its choices from about.py.
    about = data.get("about")
    if isinstance(about, list):
        data["about"] = [_stored_choices(q) for q in about]
    instrument: Instrument = _table(Instrument, data, source, "")
    _check(instrument, source)
    return instrument


def _stored_choices(raw: Any) -> Any:
    if isinstance(raw, dict) and raw.get("kind") == "choice" and "choices" not in raw:
        stored = STORED_ABOUT.get(raw.get("id", ""))
        if stored is not None:
            return raw | {"choices": [{"value": v, "label": label} for v, label in stored.items()]}
    return raw


def _check(inst: Instrument, source: str) -> None:
    """The rules that span fields."""
    if not _KEY.match(inst.key):
        raise _fail(source, "key", f"{inst.key!r} must be lower-case letters, digits and hyphens")
    if inst.scale not in SCALES:
        raise _fail(source, "scale", f"unknown scale {inst.scale!r} (known: {', '.join(SCALES)})")

    seen: set[str] = set()
    for n, q in enumerate(inst.about, start=1):
        where = f"about[{n}]."
        if q.id in seen:
            raise _fail(source, where + "id", f"duplicate id {q.id!r}")
        seen.add(q.id)
        if q.kind not in known_kinds():
            raise _fail(
                source,
                where + "kind",
                f"unknown kind {q.kind!r} (known: {', '.join(known_kinds())})",
            )
        _check_choices(q, source, where)
    if PartnerTypeQuestion.kind not in {q.kind for q in inst.about}:
        raise _fail(source, "about", "must include a question of kind 'partner_type'")

    seen = set()
    for n, d in enumerate(inst.domains, start=1):
        where = f"domains[{n}].key"
        if not _ID.match(d.key):
            raise _fail(source, where, f"{d.key!r} must be lower_snake_case")
        if d.key in seen:
            raise _fail(source, where, f"duplicate domain {d.key!r}")
        seen.add(d.key)

    seen = set()
    for n, item in enumerate(inst.items, start=1):
        where = f"items[{n}]."
        if not _ID.match(item.id):
            raise _fail(source, where + "id", f"{item.id!r} must be lower_snake_case")
        if item.id in seen:
            raise _fail(source, where + "id", f"duplicate item id {item.id!r}")
        seen.add(item.id)
        if item.domain not in {d.key for d in inst.domains}:
            raise _fail(source, where + "domain", f"unknown domain {item.domain!r}")
    for d in inst.domains:
        if not inst.items_in(d.key):
            raise _fail(source, f"domains.{d.key}", "has no items")

    for n, c in enumerate(inst.contrasts, start=1):
        where = f"contrasts[{n}]."
        for attr in ("item_a", "item_b"):
            if not inst.has_item(getattr(c, attr)):
                raise _fail(source, where + attr, f"names unknown item {getattr(c, attr)!r}")
        if c.item_a == c.item_b:
            raise _fail(source, where + "item_b", "must differ from item_a")


def _check_choices(q: AboutQuestion, source: str, where: str) -> None:
    if question_type(q).needs_choices and not q.choices:
        raise _fail(source, where + "choices", f"a {q.kind} question needs choices")
