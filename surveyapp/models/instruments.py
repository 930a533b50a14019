"""Snapshots of instrument definitions, so later edits never change past rounds."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from surveyapp.extensions import Model
from surveyapp.models.base import JSONType, utcnow

if TYPE_CHECKING:
    from surveyapp.instruments import Instrument

#: Parsed instruments by (snapshot id, content hash). A snapshot never changes, so each process
#: parses one at most once instead of on every respondent page. Bounded by clearing.
_PARSED: dict[tuple[int, str], Instrument] = {}
_PARSED_MAX = 64


class InstrumentSnapshot(Model):
    __tablename__ = "instrument_snapshots"
    __table_args__ = (sa.UniqueConstraint("key", "version", "content_sha256"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    #: Stable instrument key, e.g. ``early-help-pathways``.
    key: so.Mapped[str] = so.mapped_column(sa.String(80))
    version: so.Mapped[int] = so.mapped_column(sa.Integer)
    title: so.Mapped[str] = so.mapped_column(sa.String(200))
    #: SHA-256 of the canonical JSON definition: the same content is stored once.
    content_sha256: so.Mapped[str] = so.mapped_column(sa.String(64))
    #: The whole validated definition (see :meth:`surveyapp.instruments.Instrument.to_dict`).
    #: Loaded only when first read: :meth:`instrument` needs it once per process.
    definition: so.Mapped[dict[str, Any]] = so.mapped_column(JSONType, deferred=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    @property
    def label(self) -> str:
        return f"{self.title} (v{self.version})"

    def instrument(self) -> Instrument:
        """The validated instrument, parsed once per process (instruments are immutable)."""
        from surveyapp.instruments import Instrument

        if self.id is None:
            return Instrument.from_dict(self.definition)
        key = (self.id, self.content_sha256)
        parsed = _PARSED.get(key)
        if parsed is None:
            parsed = Instrument.from_dict(self.definition)
            if len(_PARSED) >= _PARSED_MAX:
                _PARSED.clear()
            _PARSED[key] = parsed
        return parsed
