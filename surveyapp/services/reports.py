"""Building a round's gap report: the one place the web pages, the published summary and the
``report`` command get their figures from."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterator, MutableMapping
from typing import Any

from surveyapp.analysis.data import filter_frames
from surveyapp.analysis.frames import compared_round_id, load_round_frames
from surveyapp.analysis.report import Report, build_report
from surveyapp.extensions import db
from surveyapp.models import Round

#: Loaded rounds kept in each process (two entries per round: its answers and its frames).
#: A round of 100,000 responses takes about 50 MB; a report needs the round and the round it
#: is compared with.
LOADED_ROUNDS_KEPT = 4


class LRUCache(MutableMapping[Hashable, Any]):
    """A small thread-safe mapping that forgets the least recently used entry beyond
    ``maxsize``. Only an optimisation: every key names exactly what its value was built from
    (see :func:`surveyapp.analysis.frames.load_round_frames`)."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key: Hashable) -> Any:
        with self._lock:
            self._data.move_to_end(key)
            return self._data[key]

    def __setitem__(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.maxsize:
                self._data.popitem(last=False)

    def __delitem__(self, key: Hashable) -> None:
        with self._lock:
            del self._data[key]

    def __iter__(self) -> Iterator[Hashable]:
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


_loaded = LRUCache(2 * LOADED_ROUNDS_KEPT)


def clear_caches() -> None:
    """Forget every loaded round (as a freshly started process would have none)."""
    _loaded.clear()


def report_key(round_: Round) -> tuple[Hashable, ...]:
    """What a cached report of ``round_`` must be keyed by: the database and, for the round and
    the round it is compared with (the one set on it, else the latest closed one), everything
    the report is built from, answers included through ``data_version``. A lead may change the
    title, minimum group size, partner types or compared round after answers arrive: a key
    without them would keep serving a report suppressed for the old minimum."""
    other_id = compared_round_id(db.session, round_.id)
    other = db.session.get(Round, other_id) if other_id is not None else None
    return (
        db.engine.url.render_as_string(hide_password=True),
        *(
            None
            if r is None
            else (
                r.id,
                r.created_at,
                r.instrument_id,
                r.data_version,
                r.title,
                r.min_group_size,
                tuple(p.id for p in r.partner_types),
            )
            for r in (round_, other)
        ),
    )


def round_report(round_id: int, **filters: str) -> Report:
    """The report of a round, compared with its compared round when it has one; ``filters``
    (one of locality, role_level, training) go through the analysis's own filter, so a small
    filtered group is suppressed, never shown smaller.

    Raises :class:`surveyapp.analysis.data.AnalysisError` for an unknown round or filter.
    """
    frames = load_round_frames(db.session, round_id, _loaded)
    other = compared_round_id(db.session, round_id)
    compared = load_round_frames(db.session, other, _loaded) if other is not None else None
    if filters:
        frames = filter_frames(frames, **filters)
    return build_report(frames, compared)
