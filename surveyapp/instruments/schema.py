"""The instrument schema: one validator from a TOML file's tables to the typed model.

Question kinds come from the registry in :mod:`surveyapp.instruments.questions`, so a new kind
is accepted here once it is registered there.
"""

from __future__ import annotations

import re
from typing import Any

from surveyapp.instruments.about import STORED_ABOUT
from surveyapp.instruments.model import (
    AboutQuestion,
    Choice,
    Comment,
    Contrast,
    Domain,
    Instrument,
    InstrumentError,
    Item,
)
from surveyapp.instruments.questions import known_kinds
from surveyapp.instruments.scales import SCALES

_ID = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
_KEY = re.compile(r"^[a-z][a-z0-9-]{1,79}$")


def _fail(source: str, where: str, message: str) -> InstrumentError:
    return InstrumentError(f"{source}: {where}: {message}")


def _text(
    data: dict[str, Any],
    name: str,
    source: str,
    where: str,
    *,
    required: bool = True,
    default: str = "",
) -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise _fail(source, f"{where}{name}", "is missing")
        return default
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(source, f"{where}{name}", "must be non-empty text")
    return value.strip()


def _list(data: dict[str, Any], name: str, source: str, *, required: bool = True) -> list[Any]:
    value = data.get(name, [] if not required else None)
    if value is None:
        raise _fail(source, name, "is missing")
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _fail(source, name, "must be a list of tables ([[" + name + "]])")
    if required and not value:
        raise _fail(source, name, "must have at least one entry")
    return value


def build(data: dict[str, Any], source: str) -> Instrument:
    """Check the parsed TOML (or a snapshot's dict) field by field and build the
    :class:`Instrument`; the first problem raises :class:`InstrumentError` naming ``source`` and
    the field (``about[2].kind``)."""
    key = _text(data, "key", source, "")
    if not _KEY.match(key):
        raise _fail(source, "key", f"{key!r} must be lower-case letters, digits and hyphens")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _fail(source, "version", "must be a whole number of at least 1")
    scale = _text(data, "scale", source, "")
    if scale not in SCALES:
        raise _fail(source, "scale", f"unknown scale {scale!r} (known: {', '.join(SCALES)})")
    allow_dk = data.get("allow_dont_know", True)
    if not isinstance(allow_dk, bool):
        raise _fail(source, "allow_dont_know", "must be true or false")
    minutes = data.get("minutes", 5)
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes < 1:
        raise _fail(source, "minutes", "must be a whole number of at least 1")

    about: list[AboutQuestion] = []
    seen_about: set[str] = set()
    for n, raw in enumerate(_list(data, "about", source, required=False), start=1):
        where = f"about[{n}]."
        qid = _text(raw, "id", source, where)
        if qid in seen_about:
            raise _fail(source, where + "id", f"duplicate id {qid!r}")
        seen_about.add(qid)
        kind = _text(raw, "kind", source, where)
        if kind not in known_kinds():
            raise _fail(
                source,
                where + "kind",
                f"unknown kind {kind!r} (known: {', '.join(known_kinds())})",
            )
        choices = []
        if kind == "choice" and "choices" not in raw and qid in STORED_ABOUT:
            choices = [Choice(value, label) for value, label in STORED_ABOUT[qid].items()]
        elif kind == "choice":
            raw_choices = raw.get("choices")
            if not isinstance(raw_choices, list) or not raw_choices:
                raise _fail(source, where + "choices", "a choice question needs choices")
            for m, c in enumerate(raw_choices, start=1):
                if not isinstance(c, dict):
                    raise _fail(source, f"{where}choices[{m}]", "must be {value=..., label=...}")
                choices.append(
                    Choice(
                        _text(c, "value", source, f"{where}choices[{m}]."),
                        _text(c, "label", source, f"{where}choices[{m}]."),
                    )
                )
        required = raw.get("required", False)
        if not isinstance(required, bool):
            raise _fail(source, where + "required", "must be true or false")
        about.append(
            AboutQuestion(qid, kind, _text(raw, "label", source, where), required, tuple(choices))
        )
    if "partner_type" not in {q.kind for q in about}:
        raise _fail(source, "about", "must include a question of kind 'partner_type'")

    domains: list[Domain] = []
    for n, raw in enumerate(_list(data, "domains", source), start=1):
        where = f"domains[{n}]."
        dkey = _text(raw, "key", source, where)
        if not _ID.match(dkey):
            raise _fail(source, where + "key", f"{dkey!r} must be lower_snake_case")
        if any(d.key == dkey for d in domains):
            raise _fail(source, where + "key", f"duplicate domain {dkey!r}")
        domains.append(Domain(dkey, _text(raw, "label", source, where)))
    domain_keys = {d.key for d in domains}

    items: list[Item] = []
    for n, raw in enumerate(_list(data, "items", source), start=1):
        where = f"items[{n}]."
        iid = _text(raw, "id", source, where)
        if not _ID.match(iid):
            raise _fail(source, where + "id", f"{iid!r} must be lower_snake_case")
        if any(i.id == iid for i in items):
            raise _fail(source, where + "id", f"duplicate item id {iid!r}")
        dom = _text(raw, "domain", source, where)
        if dom not in domain_keys:
            raise _fail(source, where + "domain", f"unknown domain {dom!r}")
        items.append(Item(iid, dom, _text(raw, "text", source, where)))
    for d in domains:
        if not any(i.domain == d.key for i in items):
            raise _fail(source, f"domains.{d.key}", "has no items")
    item_ids = {i.id for i in items}

    contrasts: list[Contrast] = []
    for n, raw in enumerate(_list(data, "contrasts", source, required=False), start=1):
        where = f"contrasts[{n}]."
        c = Contrast(
            _text(raw, "key", source, where),
            _text(raw, "label", source, where),
            _text(raw, "item_a", source, where),
            _text(raw, "item_b", source, where),
        )
        for attr in ("item_a", "item_b"):
            if getattr(c, attr) not in item_ids:
                raise _fail(source, where + attr, f"names unknown item {getattr(c, attr)!r}")
        if c.item_a == c.item_b:
            raise _fail(source, where + "item_b", "must differ from item_a")
        contrasts.append(c)

    comment = None
    if data.get("comment") is not None:
        raw = data["comment"]
        if not isinstance(raw, dict):
            raise _fail(source, "comment", "must be a table ([comment])")
        comment = Comment(
            _text(raw, "id", source, "comment."),
            _text(raw, "label", source, "comment."),
            _text(raw, "hint", source, "comment.", required=False),
        )

    return Instrument(
        key=key,
        version=version,
        title=_text(data, "title", source, ""),
        intro=_text(data, "intro", source, ""),
        scale=scale,
        allow_dont_know=allow_dk,
        minutes=minutes,
        about=tuple(about),
        domains=tuple(domains),
        items=tuple(items),
        contrasts=tuple(contrasts),
        comment=comment,
    )
