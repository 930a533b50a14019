"""Instruments: versioned questionnaires kept as TOML files in this folder.

``load_instrument(path)`` reads and validates one file; a broken file raises
:class:`InstrumentError` naming the file and the field. ``available_instruments()`` lists the
shipped ones; ``get_instrument("key@version")`` picks one (the latest version when no version).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from surveyapp.instruments.about import STORED_ABOUT
from surveyapp.instruments.scales import SCALES, Scale

INSTRUMENT_DIR = Path(__file__).parent
ABOUT_KINDS = ("partner_type", "locality", "choice")
_ID = re.compile(r"^[a-z][a-z0-9_]{1,79}$")
_KEY = re.compile(r"^[a-z][a-z0-9-]{1,79}$")


class InstrumentError(ValueError):
    """An instrument file or reference is not usable; the message names the file and field."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class AboutQuestion:
    id: str
    kind: str
    label: str
    required: bool = False
    choices: tuple[Choice, ...] = ()


@dataclass(frozen=True)
class Domain:
    key: str
    label: str


@dataclass(frozen=True)
class Item:
    id: str
    domain: str
    text: str


@dataclass(frozen=True)
class Contrast:
    key: str
    label: str
    item_a: str
    item_b: str


@dataclass(frozen=True)
class Comment:
    id: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class Instrument:
    key: str
    version: int
    title: str
    intro: str
    scale: str
    allow_dont_know: bool
    minutes: int
    about: tuple[AboutQuestion, ...]
    domains: tuple[Domain, ...]
    items: tuple[Item, ...]
    contrasts: tuple[Contrast, ...] = ()
    comment: Comment | None = None
    _item_index: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._item_index.update({item.id: item for item in self.items})

    @property
    def ref(self) -> str:
        return f"{self.key}@{self.version}"

    @property
    def scale_def(self) -> Scale:
        return SCALES[self.scale]

    def item(self, item_id: str) -> Item:
        return self._item_index[item_id]

    def has_item(self, item_id: str) -> bool:
        return item_id in self._item_index

    def items_in(self, domain_key: str) -> tuple[Item, ...]:
        return tuple(i for i in self.items if i.domain == domain_key)

    def domain(self, key: str) -> Domain:
        return next(d for d in self.domains if d.key == key)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("_item_index")
        return data

    def sha256(self) -> str:
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str = "<snapshot>") -> Instrument:
        return _build(json.loads(json.dumps(data)), source)


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


def _build(data: dict[str, Any], source: str) -> Instrument:
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
        if kind not in ABOUT_KINDS:
            raise _fail(
                source, where + "kind", f"unknown kind {kind!r} (known: {', '.join(ABOUT_KINDS)})"
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


def load_instrument(path: str | Path) -> Instrument:
    """Read and validate one instrument file."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InstrumentError(f"{path.name}: cannot be read ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError(f"{path.name}: not valid TOML ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise InstrumentError(f"{path.name}: not UTF-8 text") from exc
    return _build(data, path.name)


@cache
def available_instruments(folder: Path = INSTRUMENT_DIR) -> tuple[Instrument, ...]:
    """Every instrument file in the folder, validated, sorted by key and version."""
    found = [load_instrument(p) for p in sorted(folder.glob("*.toml"))]
    refs = [i.ref for i in found]
    dupes = {r for r in refs if refs.count(r) > 1}
    if dupes:
        raise InstrumentError(f"{folder}: more than one file defines {', '.join(sorted(dupes))}")
    return tuple(sorted(found, key=lambda i: (i.key, i.version)))


def get_instrument(ref: str) -> Instrument:
    """``key`` (latest version) or ``key@version``."""
    key, _, version = ref.partition("@")
    matches = [i for i in available_instruments() if i.key == key]
    if version:
        if not version.isdigit():
            raise InstrumentError(f"instrument {ref!r}: version must be a whole number")
        matches = [i for i in matches if i.version == int(version)]
    if not matches:
        known = ", ".join(i.ref for i in available_instruments())
        raise InstrumentError(f"no instrument {ref!r} (available: {known})")
    return matches[-1]
