"""Answer scales: the one source of truth for scale values and labels."""

from __future__ import annotations

from dataclasses import dataclass

DONT_KNOW = "dk"
DONT_KNOW_LABEL = "Don't know"


@dataclass(frozen=True)
class Scale:
    key: str
    #: (value, label) from most negative to most positive.
    points: tuple[tuple[int, str], ...]
    #: (value, shorter label) where space is tight (a chart's legend); other values keep theirs.
    abbreviations: tuple[tuple[int, str], ...] = ()
    #: Values that count as a positive answer (``pct_positive``) and as a negative one.
    positive: tuple[int, ...] = ()
    negative: tuple[int, ...] = ()

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(v for v, _ in self.points)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(label for _, label in self.points)

    @property
    def short_labels(self) -> tuple[str, ...]:
        short = dict(self.abbreviations)
        return tuple(short.get(v, label) for v, label in self.points)

    def label(self, value: int) -> str:
        return dict(self.points)[value]

    def level(self, value: int) -> int:
        """The value's position on the scale, from 0 (most negative): analysis's level code."""
        return self.values.index(value)


AGREE5 = Scale(
    key="agree5",
    points=(
        (1, "Strongly disagree"),
        (2, "Disagree"),
        (3, "Neither agree nor disagree"),
        (4, "Agree"),
        (5, "Strongly agree"),
    ),
    abbreviations=((3, "Neither"),),
    positive=(4, 5),
    negative=(1, 2),
)

SCALES: dict[str, Scale] = {AGREE5.key: AGREE5}
