"""The instrument's typed model: frozen dataclasses, as a validated TOML file or snapshot gives."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from surveyapp.instruments.scales import SCALES, Scale


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
        from surveyapp.instruments.schema import build

        return build(json.loads(json.dumps(data)), source)
