"""Question types: each kind of question parses, validates, renders and describes itself.

An instrument's about-you questions name a ``kind``; :func:`question_type` turns one into its
type object (:class:`PartnerTypeQuestion`, :class:`LocalityQuestion`, :class:`ChoiceQuestion`).
Every statement is a :class:`LikertItem` answered on the instrument's :class:`Scale`.

What a round offers (its partner types and localities, and what a link already fixes) comes in
as an :class:`Offer` of plain values, so this module needs no database. Each type:

- ``parse(raw)``: the submitted or imported text as a stored code (``None`` when blank);
- ``validate(code, offer)``: raises :class:`AnswerError` with a clear message when the code is
  not one this round accepts;
- ``field(offer, current, error)``: the context the ``radios`` macro renders;
- ``describe(offer)``: the codes, labels and whether their order means something, for analysis.

Adding a kind: subclass :class:`AboutQuestionType`, set ``kind``, decorate it with
:func:`register`; the instrument schema accepts the new kind from then on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from surveyapp.instruments.about import STORED_ABOUT
from surveyapp.instruments.model import AboutQuestion, Instrument, Item
from surveyapp.instruments.scales import DONT_KNOW, DONT_KNOW_LABEL, Scale

#: Texts an import accepts for "don't know", besides the code and the label.
DONT_KNOW_TEXTS = frozenset({DONT_KNOW, "don't know", "dont know", "don’t know"})


class AnswerError(ValueError):
    """A raw answer is not one the question accepts; the message says why, for a person."""


@dataclass(frozen=True)
class Offer:
    """What a round offers its respondent: (code, label) pairs of the active partner types and
    localities, and whether the link already fixes either."""

    partner_types: tuple[tuple[str, str], ...] = ()
    localities: tuple[tuple[str, str], ...] = ()
    partner_type_fixed: bool = False
    locality_fixed: bool = False


@dataclass(frozen=True)
class Values:
    """How analysis reads a question's answers: stored codes with their labels, in the order
    they are shown; ``ordered`` when that order is a ranking (a scale), not just a list."""

    codes: tuple[str, ...]
    labels: tuple[str, ...]
    ordered: bool = False

    def label(self, code: str) -> str:
        return dict(zip(self.codes, self.labels, strict=True))[code]


@dataclass(frozen=True)
class Field:
    """The template context of one radio-group question (the ``radios`` macro's arguments)."""

    name: str
    legend: str
    options: tuple[tuple[str, str], ...]
    current: str = ""
    error: str | None = None
    hint: str | None = None
    dont_know: bool = False


class AboutQuestionType:
    """One about-you question of some kind. Subclasses say which codes a round offers."""

    kind: ClassVar[str]
    #: Whether the instrument file must list the question's choices.
    needs_choices: ClassVar[bool] = False

    def __init__(self, question: AboutQuestion) -> None:
        if question.kind != self.kind:
            raise ValueError(f"{question.id!r} is a {question.kind!r} question, not {self.kind!r}")
        self.question = question

    @property
    def id(self) -> str:
        return self.question.id

    def asked(self, offer: Offer) -> bool:
        """Whether a respondent with this offer is asked the question at all."""
        raise NotImplementedError

    def choices(self, offer: Offer) -> tuple[tuple[str, str], ...]:
        """(code, label) pairs this round offers."""
        raise NotImplementedError

    def parse(self, raw: str) -> str | None:
        """The code the raw text stands for; ``None`` when blank. A code or a label (any case)."""
        text = raw.strip()
        return text or None

    def validate(self, code: str, offer: Offer) -> str:
        """``code`` when the round accepts it; else :class:`AnswerError`."""
        if code not in {c for c, _ in self.choices(offer)}:
            raise AnswerError(f"{code!r} is not one of the answers to {self.question.label!r}.")
        return code

    def clean(self, raw: str, offer: Offer) -> str | None:
        """Parse, then validate: the stored code, or ``None`` when blank."""
        code = self.parse(raw)
        return None if code is None else self.validate(code, offer)

    def field(self, offer: Offer, current: str = "", error: str | None = None) -> Field:
        return Field(
            self.id,
            self.question.label,
            self.choices(offer),
            current,
            error,
            hint=None if self.question.required else "Optional",
        )

    def describe(self, offer: Offer) -> Values:
        choices = self.choices(offer)
        return Values(tuple(c for c, _ in choices), tuple(label for _, label in choices))


_REGISTRY: dict[str, type[AboutQuestionType]] = {}
_T = TypeVar("_T", bound=type[AboutQuestionType])


def register(cls: _T) -> _T:
    """Class decorator: make ``cls.kind`` a kind instruments may use."""
    if cls.kind in _REGISTRY:
        raise ValueError(f"question kind {cls.kind!r} is registered twice")
    _REGISTRY[cls.kind] = cls
    return cls


def _by_code_or_label(choices: Sequence[tuple[str, str]], raw: str) -> str | None:
    """The code whose code or label matches ``raw`` (any case), or None."""
    text = raw.strip().lower()
    for code, label in choices:
        if text in (code.lower(), label.lower()):
            return code
    return None


@register
class PartnerTypeQuestion(AboutQuestionType):
    """Which kind of organisation: the round's active partner types. Always asked first, unless
    the link fixes it."""

    kind = "partner_type"

    def asked(self, offer: Offer) -> bool:
        return not offer.partner_type_fixed

    def choices(self, offer: Offer) -> tuple[tuple[str, str], ...]:
        return offer.partner_types


@register
class LocalityQuestion(AboutQuestionType):
    """Which area: the round's active localities; not asked when the round has none or the link
    fixes one."""

    kind = "locality"

    def asked(self, offer: Offer) -> bool:
        return not offer.locality_fixed and bool(offer.localities)

    def choices(self, offer: Offer) -> tuple[tuple[str, str], ...]:
        return offer.localities


@register
class ChoiceQuestion(AboutQuestionType):
    """A fixed list of choices from the instrument; asked only where a response has a column to
    keep the answer (:data:`surveyapp.instruments.about.STORED_ABOUT`)."""

    kind = "choice"
    needs_choices = True

    def asked(self, offer: Offer) -> bool:
        return self.id in STORED_ABOUT

    def choices(self, offer: Offer) -> tuple[tuple[str, str], ...]:
        stored = STORED_ABOUT.get(self.id, {})
        return tuple((c.value, c.label) for c in self.question.choices if c.value in stored)

    def parse(self, raw: str) -> str | None:
        text = raw.strip().lower()
        if not text:
            return None
        found = _by_code_or_label(self.choices(Offer()), text)
        return found if found is not None else text


def question_type(question: AboutQuestion) -> AboutQuestionType:
    """The type object for an about-you question (its ``kind`` picks the class)."""
    try:
        cls = _REGISTRY[question.kind]
    except KeyError:
        raise ValueError(f"unknown question kind {question.kind!r}") from None
    return cls(question)


def known_kinds() -> tuple[str, ...]:
    """Every registered kind, in registration order."""
    return tuple(_REGISTRY)


def asked_questions(instrument: Instrument, offer: Offer) -> tuple[AboutQuestionType, ...]:
    """The about-you questions a respondent with this offer is asked, partner type first."""
    types = [question_type(q) for q in instrument.about]
    asked = [t for t in types if t.asked(offer)]
    return tuple(sorted(asked, key=lambda t: t.kind != PartnerTypeQuestion.kind))


def scale_codes(instrument: Instrument) -> frozenset[str]:
    """Every code a statement of this instrument accepts: its scale's values as text, and
    ``"dk"`` when "don't know" is allowed."""
    return frozenset(LikertItem.codes_of(instrument.scale_def, instrument.allow_dont_know))


class LikertItem:
    """A statement answered on a :class:`Scale`, with "don't know" when the instrument allows.
    Codes are the scale's values as text ("1".."5") and ``"dk"``."""

    def __init__(self, item: Item, scale: Scale, allow_dont_know: bool = True) -> None:
        self.item = item
        self.scale = scale
        self.allow_dont_know = allow_dont_know

    @classmethod
    def of(cls, instrument: Instrument, item: Item) -> LikertItem:
        return cls(item, instrument.scale_def, instrument.allow_dont_know)

    @property
    def id(self) -> str:
        return self.item.id

    @staticmethod
    def codes_of(scale: Scale, allow_dont_know: bool) -> tuple[str, ...]:
        codes = tuple(str(v) for v in scale.values)
        return (*codes, DONT_KNOW) if allow_dont_know else codes

    @property
    def codes(self) -> tuple[str, ...]:
        return self.codes_of(self.scale, self.allow_dont_know)

    def parse(self, raw: str) -> str | None:
        """The code for a form value, a scale label or a "don't know" text (any case); ``None``
        when blank. Unrecognised text comes back as it was, for :meth:`validate` to refuse."""
        text = raw.strip()
        if not text:
            return None
        lowered = text.lower()
        if lowered in DONT_KNOW_TEXTS or lowered == DONT_KNOW_LABEL.lower():
            return DONT_KNOW
        for value, label in self.scale.points:
            if lowered == label.lower():
                return str(value)
        return text

    def validate(self, code: str) -> str:
        if code not in self.codes:
            raise AnswerError(
                f"{self.id} {code!r} is not "
                f"{self.scale.values[0]}-{self.scale.values[-1]}, a scale label"
                + (" or DK" if self.allow_dont_know else "")
            )
        return code

    def clean(self, raw: str) -> str | None:
        code = self.parse(raw)
        return None if code is None else self.validate(code)

    @staticmethod
    def stored(code: str) -> tuple[int | None, bool]:
        """(value, dont_know) as an :class:`~surveyapp.models.Answer` row keeps a code."""
        return (None, True) if code == DONT_KNOW else (int(code), False)

    def field(self, current: str = "", error: str | None = None) -> Field:
        return Field(
            self.id,
            self.item.text,
            tuple((str(v), label) for v, label in self.scale.points),
            current,
            error,
            dont_know=self.allow_dont_know,
        )

    def describe(self) -> Values:
        labels = self.scale.labels + ((DONT_KNOW_LABEL,) if self.allow_dont_know else ())
        return Values(self.codes, labels, ordered=True)


def import_about_answer(
    question: AboutQuestion, raw: str, offer: Offer
) -> tuple[str | None, str | None]:
    """For a CSV import: (code, None) or (None, message) for one about-you cell. Codes and
    labels are accepted in any case for choice questions; partner types and localities must be
    one of the offer's codes (an import that lets a round without localities name new ones, as
    ``services/imports.py`` does today, keeps that rule itself)."""
    try:
        return question_type(question).clean(raw, offer), None
    except AnswerError as exc:
        return None, str(exc)


def import_item_answer(
    instrument: Instrument, item_id: str, raw: str
) -> tuple[int | None, bool] | None | str:
    """For a CSV import: one statement cell as (value, dont_know); ``None`` when blank; the
    problem as text when the cell is not an answer."""
    likert = LikertItem.of(instrument, instrument.item(item_id))
    try:
        code = likert.clean(raw)
    except AnswerError as exc:
        return str(exc)
    return None if code is None else likert.stored(code)
