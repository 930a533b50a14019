"""One entry point for a round's report (the round, the round it is compared with, the view),
and the one per-process cache every report output shares.

The cache is keyed by the database and the report version of each round involved
(``Round.data_version``, bumped by :func:`surveyapp.services.report_version.bump_report_version`
whenever anything a report is built from changes). Round ids are never reused, so a key names
exactly one state of the data, and a hit is what a fresh build would return.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator, MutableMapping
from typing import Any, TypeVar

from surveyapp.analysis.data import AnalysisError, RoundFrames, filter_frames
from surveyapp.analysis.report import Report, build_report
from surveyapp.extensions import db
from surveyapp.models import Round
from surveyapp.reporting.frames import compared_round_id, load_round_frames

T = TypeVar("T")

#: Entries kept per kind in each process, most recently used last. A loaded round of 100,000
#: responses takes about 50 MB; a report needs the round and the round it is compared with.
#: An exported file (a full PDF is about 1 MB) or a rendered page body is far smaller.
KEPT = {"frames": 4, "report": 16, "view": 32, "trend": 16, "body": 32, "export": 8}


class LRUCache(MutableMapping[Hashable, Any]):
    """A small thread-safe mapping that forgets the least recently used entry of a kind (the
    first element of a tuple key) beyond that kind's limit in :data:`KEPT`."""

    def __init__(self, kept: dict[str, int], default: int = 16) -> None:
        self.kept = kept
        self.default = default
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _kind(key: Hashable) -> Hashable:
        return key[0] if isinstance(key, tuple) and key else None

    def __getitem__(self, key: Hashable) -> Any:
        with self._lock:
            self._data.move_to_end(key)
            return self._data[key]

    def __setitem__(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            kind = self._kind(key)
            same = [k for k in self._data if self._kind(k) == kind]
            limit = self.kept.get(str(kind), self.default)
            for old in same[: max(0, len(same) - limit)]:
                del self._data[old]

    def __delitem__(self, key: Hashable) -> None:
        with self._lock:
            del self._data[key]

    def __iter__(self) -> Iterator[Hashable]:
        with self._lock:
            return iter(list(self._data))

    def __len__(self) -> int:
        return len(self._data)


cache = LRUCache(KEPT)


def clear_cache() -> None:
    """Forget everything built (as a freshly started process would have nothing)."""
    cache.clear()


def cached(key: tuple[Hashable, ...], make: Callable[[], T]) -> T:
    """``cache[key]``, made by ``make()`` the first time. ``key[0]`` names the kind."""
    try:
        return cache[key]  # type: ignore[no-any-return]
    except KeyError:
        value = make()
        cache[key] = value
        return value


def _database() -> str:
    return db.engine.url.render_as_string(hide_password=True)


def round_version(round_: Round) -> tuple[Hashable, ...]:
    """(database, round id, report version): one state of one round's data and settings."""
    return (_database(), round_.id, round_.data_version)


def version_key(round_: Round) -> tuple[Hashable, ...]:
    """What a report of ``round_`` is keyed by: the version of the round and of the round it
    is compared with (the one set on it, else the latest closed one, looked up anew)."""
    other_id = compared_round_id(db.session, round_.id)
    other = db.session.get(Round, other_id) if other_id is not None else None
    return (
        *round_version(round_),
        None if other is None else (other.id, other.data_version),
    )


def round_frames(round_: Round) -> RoundFrames:
    """The round's frames, loaded once per report version."""
    return cached(
        ("frames", *round_version(round_)), lambda: load_round_frames(db.session, round_.id)
    )


def select_view(frames: RoundFrames, filters: dict[str, str]) -> RoundFrames:
    """The one step that narrows a round to the view asked for: the whole round, or the group
    named by ``filters`` (locality, role level or training: the page offers one at a time)
    through the analysis's own filter, so a small filtered group is suppressed, never shown
    smaller. Every page, export and command reaches a filtered view only through here.

    Raises :class:`~surveyapp.analysis.data.AnalysisError` for an unknown dimension or value.
    """
    if not filters:
        return frames
    return filter_frames(frames, **filters)


def build(round_: Round, **filters: str) -> Report:
    """The report of ``round_`` (or of the group ``filters`` names), compared with
    its compared round when it has one; cached by :func:`version_key`.

    Raises :class:`~surveyapp.analysis.data.AnalysisError` for an unknown round or filter.
    """

    def make() -> Report:
        other_id = compared_round_id(db.session, round_.id)
        other = db.session.get(Round, other_id) if other_id is not None else None
        compared = round_frames(other) if other is not None else None
        return build_report(select_view(round_frames(round_), filters), compared)

    return cached(("report", *version_key(round_), tuple(sorted(filters.items()))), make)


def round_report(round_id: int, **filters: str) -> Report:
    """:func:`build` for a round id.

    Raises :class:`~surveyapp.analysis.data.AnalysisError` for an unknown round or filter.
    """
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise AnalysisError(f"there is no round {round_id}")
    return build(round_, **filters)
