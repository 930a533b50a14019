"""Instruments: versioned questionnaires kept as TOML files in this folder.

``load_instrument(path)`` reads and validates one file; a broken file raises
:class:`InstrumentError` naming the file and the field. ``available_instruments()`` lists the
shipped ones; ``get_instrument("key@version")`` picks one (the latest version when no version).
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path

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
from surveyapp.instruments.schema import build

__all__ = [
    "INSTRUMENT_DIR",
    "AboutQuestion",
    "Choice",
    "Comment",
    "Contrast",
    "Domain",
    "Instrument",
    "InstrumentError",
    "Item",
    "available_instruments",
    "get_instrument",
    "known_kinds",
    "load_instrument",
]

INSTRUMENT_DIR = Path(__file__).parent


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
    return build(data, path.name)


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
