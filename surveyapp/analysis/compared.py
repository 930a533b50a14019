"""Which round a round is compared with when none is chosen for it: the one rule, used when a
round is created or edited (services) and when its report is built."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date


def default_compared_round(
    closes_on: date | None, closed: Iterable[tuple[int, date | None]]
) -> int | None:
    """The id of the latest of the ``closed`` rounds, (id, closing date) of the same instrument
    and never the round itself, that closed before ``closes_on``: a round is compared with an
    earlier round, never a later one. With no closing date set, every closed round counts as
    earlier; a closed round with none counts as earlier than any other. Latest means the latest
    closing date, then the highest id."""
    earlier = [
        (rid, ends) for rid, ends in closed if closes_on is None or ends is None or ends < closes_on
    ]
    if not earlier:
        return None
    return max(earlier, key=lambda r: (r[1] is not None, r[1] or date.min, r[0]))[0]
