"""The analysis input contract: one round's responses and answers as tidy DataFrames.

``frames.py`` (the one database boundary) builds a :class:`RoundFrames`; everything else in
``surveyapp.analysis`` reads it. Validation and integer encoding happen once per round, in
:class:`Encoded`, so the figures can be computed with ``np.bincount`` over small integer codes
rather than Python loops or string group-bys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from surveyapp.analysis.basics import SMALLEST_MIN_GROUP_SIZE as SMALLEST_MIN_GROUP_SIZE
from surveyapp.analysis.basics import AnalysisError as AnalysisError
from surveyapp.instruments.about import ROLE_LEVEL_LABELS, TRAINING_LABELS
from surveyapp.instruments.scales import AGREE5

#: The breakdown dimensions, in the fixed order suppression uses to visit them.
DIMENSIONS = ("partner_type", "locality", "role_level", "training")
#: The group holding every response of the round (or of the filtered view).
ALL = "all"
ALL_LABEL = "All respondents"
#: Group key for a response that did not answer an optional "about you" question.
NOT_STATED = "not_stated"
NOT_STATED_LABEL = "Not stated"
ROLE_LEVELS = ROLE_LEVEL_LABELS
TRAINING = TRAINING_LABELS
#: The scale analysis reads (instruments/scales.py, the one definition): values 1..5 are level
#: codes 0..4 and "don't know" the next code (5).
SCALE = AGREE5
DONT_KNOW = len(SCALE.values)
N_LEVELS = DONT_KNOW + 1
#: Levels of Agree and Strongly agree are "positive", of the two disagrees "negative".
POSITIVE_LEVELS = tuple(SCALE.level(v) for v in SCALE.positive)
NEGATIVE_LEVELS = tuple(SCALE.level(v) for v in SCALE.negative)
RESPONSE_COLUMNS = ("response_id", "partner_type", "locality", "role_level", "training")
ANSWER_COLUMNS = ("response_id", "item_id", "value", "dont_know")
ITEM_COLUMNS = ("item_id", "domain", "text", "position")
DOMAIN_COLUMNS = ("domain", "label", "position")


@dataclass(frozen=True)
class Contrast:
    """A planned comparison of two items: value = % positive on ``item_a`` − on ``item_b``."""

    key: str
    label: str
    item_a: str
    item_b: str


@dataclass(frozen=True, eq=False)
class RoundFrames:
    """One round (or a filtered view of one) as the analysis sees it.

    ``base`` and ``filters`` are set only by :func:`filter_frames`: suppression needs the
    unfiltered round so that a filtered figure can never be subtracted from an unfiltered one
    to reveal a small group. Equality is identity (DataFrames have no single truth value).
    """

    round_id: int
    title: str
    min_group_size: int
    responses: pd.DataFrame
    answers: pd.DataFrame
    items: pd.DataFrame
    domains: pd.DataFrame
    contrasts: tuple[Contrast, ...]
    partner_type_labels: Mapping[str, str]
    base: RoundFrames | None = field(default=None, repr=False)
    filters: tuple[tuple[str, str], ...] = ()
    #: Responses a lead excluded from the round (flagged open-link batches), already left out
    #: of ``responses``: said in the methods, never shown as a group.
    excluded_by_lead: int = 0

    def __post_init__(self) -> None:
        if isinstance(self.min_group_size, bool) or not isinstance(self.min_group_size, int):
            raise AnalysisError("min_group_size must be an integer")
        if self.min_group_size < SMALLEST_MIN_GROUP_SIZE:
            raise AnalysisError(
                f"min_group_size must be at least {SMALLEST_MIN_GROUP_SIZE}, "
                f"not {self.min_group_size}"
            )
        for name in ("responses", "answers", "items", "domains"):
            if not isinstance(getattr(self, name), pd.DataFrame):
                raise AnalysisError(f"{name} must be a pandas DataFrame")
        if not all(isinstance(c, Contrast) for c in self.contrasts):
            raise AnalysisError("contrasts must be Contrast instances")

    @property
    def root(self) -> RoundFrames:
        """The unfiltered round this view comes from (itself when unfiltered)."""
        return self.base if self.base is not None else self

    @cached_property
    def encoded(self) -> Encoded:
        """The validated, integer-encoded round, built once and reused by every output."""
        if self.base is not None:
            return self.base.encoded.subset(self.responses["response_id"].to_numpy())
        return _encode(self)


@dataclass(frozen=True)
class Dimension:
    """One "about you" dimension: its group keys and each response's code (index into keys)."""

    name: str
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    codes: np.ndarray


class Encoded:
    """A validated round as integer arrays.

    ``matrix[r, i]`` holds response ``r``'s answer to item ``i`` (instrument order): -1 not
    answered, 0..4 for scale values 1..5, 5 for "don't know". ``dims`` gives each response's
    group code per dimension; their keys always come from the unfiltered round so a filtered
    view and its round share one set of groups.
    """

    def __init__(
        self,
        *,
        response_ids: np.ndarray,
        matrix: np.ndarray,
        dims: Mapping[str, Dimension],
        item_ids: tuple[str, ...],
        item_domain: np.ndarray,
        item_text: tuple[str, ...],
        domain_ids: tuple[str, ...],
        domain_labels: tuple[str, ...],
    ) -> None:
        self.response_ids = response_ids
        self.matrix = matrix
        self.dims = dims
        self.item_ids = item_ids
        self.item_domain = item_domain
        self.item_text = item_text
        self.domain_ids = domain_ids
        self.domain_labels = domain_labels
        self.memo: dict[object, object] = {}

    @property
    def n_responses(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    def subset(self, response_ids: np.ndarray) -> Encoded:
        """The same round restricted to ``response_ids`` (which must all belong to it)."""
        rows = pd.Index(self.response_ids).get_indexer(response_ids)
        if (rows < 0).any():
            raise AnalysisError("a filtered view holds responses its round does not")
        dims = {name: replace(d, codes=d.codes[rows]) for name, d in self.dims.items()}
        return Encoded(
            response_ids=self.response_ids[rows],
            matrix=self.matrix[rows],
            dims=dims,
            item_ids=self.item_ids,
            item_domain=self.item_domain,
            item_text=self.item_text,
            domain_ids=self.domain_ids,
            domain_labels=self.domain_labels,
        )

    def level_counts(self, codes: np.ndarray, n_groups: int) -> np.ndarray:
        """Answers per (group, item, level) as an int64 array of shape (n_groups, items, 6).

        ``codes`` gives each response's group (0..n_groups-1). One ``bincount`` over the
        answer matrix: no loop over answers or groups.
        """
        width = self.n_items * (N_LEVELS + 1)
        flat = np.bincount(
            (codes.astype(np.intp)[:, None] * width + self._slots).ravel(),
            minlength=n_groups * width,
        )
        counts = flat.reshape(n_groups, self.n_items, N_LEVELS + 1)
        return np.ascontiguousarray(counts[:, :, :N_LEVELS])

    @cached_property
    def _slots(self) -> np.ndarray:
        """Each answer's bin within its group's block of :meth:`level_counts`: item ``i``'s
        levels take bins ``i * 7`` to ``i * 7 + 5``, and an unanswered item the seventh bin,
        which is dropped, so a count needs no mask (masking cost four times the count)."""
        levels = np.where(self.matrix < 0, N_LEVELS, self.matrix).astype(np.intp)
        return np.arange(self.n_items, dtype=np.intp) * (N_LEVELS + 1) + levels

    def crossed_counts(self, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Level counts and response counts per cell of the dimensions ``names`` crossed.

        Returns (counts of shape (cells, items, 6), responses per cell), cells numbered
        row-major over the dimensions' keys. Memoised: the item table and suppression of
        one view share the work.
        """
        key = ("crossed", names)
        if key not in self.memo:
            atom = np.zeros(self.n_responses, dtype=np.int64)
            n_cells = 1
            for name in names:
                dim = self.dims[name]
                atom = atom * len(dim.keys) + dim.codes
                n_cells *= len(dim.keys)
            self.memo[key] = (
                self.level_counts(atom, n_cells),
                np.bincount(atom, minlength=n_cells),
            )
        return self.memo[key]  # type: ignore[return-value]


def records(frame: pd.DataFrame) -> Iterator[Any]:
    """The rows of ``frame`` as named tuples, one attribute per column. Typed ``Any``: pandas
    types a row's values only as the union of every pandas scalar, where the caller knows each
    column's type."""
    return frame.itertuples(index=False)


def _require_columns(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AnalysisError(f"{name} is missing column(s): {', '.join(missing)}")


def _unique_strings(values: pd.Series, what: str) -> tuple[str, ...]:
    if values.isna().any():
        raise AnalysisError(f"{what} has a missing value")
    out = tuple(str(v) for v in values)
    if len(set(out)) != len(out):
        raise AnalysisError(f"{what} has duplicates")
    return out


def _ordered(frame: pd.DataFrame, what: str) -> pd.DataFrame:
    try:
        position = pd.to_numeric(frame["position"], errors="raise")
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{what} positions must be numbers") from exc
    return frame.assign(position=position).sort_values("position", kind="stable")


def _key_codes(values: pd.Series, keys: tuple[str, ...]) -> np.ndarray:
    """Each value's index in ``keys``, -1 where it is not one of them (or missing). A
    categorical column's categories are looked up once instead of every value."""
    index = pd.Index(keys)
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = index.get_indexer(pd.Index(values.cat.categories.astype(object)))
        found = values.cat.codes.to_numpy()
        return np.append(categories, -1)[found]  # a missing value's code is -1
    return index.get_indexer(pd.Index(values.astype(object)))


def _dimension(
    name: str, column: pd.Series, keys: tuple[str, ...], labels: tuple[str, ...], *, closed: bool
) -> Dimension:
    """Encode one response column; missing values become the ``not_stated`` group."""
    missing = column.isna().to_numpy()
    if missing.any():
        keys, labels = keys + (NOT_STATED,), labels + (NOT_STATED_LABEL,)
    codes = _key_codes(column.where(~missing, NOT_STATED), keys)
    if closed and (codes < 0).any():
        bad = sorted({str(v) for v in column[codes < 0]})
        raise AnalysisError(f"unknown {name} value(s): {', '.join(bad)}")
    return Dimension(name, keys, labels, codes.astype(np.int64))


def _encode(frames: RoundFrames) -> Encoded:
    """Validate an unfiltered round and turn it into integer arrays (see :class:`Encoded`)."""
    _require_columns(frames.responses, "responses", RESPONSE_COLUMNS)
    _require_columns(frames.answers, "answers", ANSWER_COLUMNS)
    _require_columns(frames.items, "items", ITEM_COLUMNS)
    _require_columns(frames.domains, "domains", DOMAIN_COLUMNS)

    domains = _ordered(frames.domains, "domain")
    domain_ids = _unique_strings(domains["domain"], "domains.domain")
    items = _ordered(frames.items, "item")
    item_ids = _unique_strings(items["item_id"], "items.item_id")
    item_domain = pd.Index(domain_ids).get_indexer(pd.Index(items["domain"].astype(object)))
    if (item_domain < 0).any():
        raise AnalysisError("an item belongs to a domain that is not in domains")
    for contrast in frames.contrasts:
        for item in (contrast.item_a, contrast.item_b):
            if item not in item_ids:
                raise AnalysisError(f"contrast {contrast.key} names unknown item {item}")

    labels = {str(k): str(v) for k, v in frames.partner_type_labels.items()}
    for reserved in (ALL, NOT_STATED):
        if reserved in labels:
            raise AnalysisError(f"{reserved!r} cannot be a partner type slug")

    responses = frames.responses
    try:
        response_ids = responses["response_id"].to_numpy(dtype=np.int64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError("responses.response_id must be whole numbers") from exc
    if pd.Index(response_ids).has_duplicates:
        raise AnalysisError("responses.response_id has duplicates")
    if responses["partner_type"].isna().any():
        raise AnalysisError("every response needs a partner type")
    locality = responses["locality"]
    localities = tuple(sorted(str(v) for v in locality.dropna().unique()))
    if ALL in localities or NOT_STATED in localities:
        raise AnalysisError("'all' and 'not_stated' cannot be locality names")
    dims = {
        "partner_type": _dimension(
            "partner_type",
            responses["partner_type"],
            tuple(labels),
            tuple(labels.values()),
            closed=True,
        ),
        "locality": _dimension("locality", locality, localities, localities, closed=True),
        "role_level": _dimension(
            "role_level",
            responses["role_level"],
            tuple(ROLE_LEVELS),
            tuple(ROLE_LEVELS.values()),
            closed=True,
        ),
        "training": _dimension(
            "training",
            responses["training"],
            tuple(TRAINING),
            tuple(TRAINING.values()),
            closed=True,
        ),
    }

    answers = frames.answers
    try:
        answer_ids = answers["response_id"].to_numpy(dtype=np.int64)
        values = answers["value"].to_numpy(dtype=np.float64, na_value=np.nan)
        dont_know = answers["dont_know"].to_numpy(dtype=bool)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(
            "answers need whole-number response_id and value and a true/false dont_know"
        ) from exc
    rows = pd.Index(response_ids).get_indexer(answer_ids)
    if (rows < 0).any():
        raise AnalysisError("an answer belongs to a response that is not in responses")
    item_codes = _key_codes(answers["item_id"], item_ids)
    if (item_codes < 0).any():
        bad = sorted({str(v) for v in answers["item_id"][item_codes < 0]})
        raise AnalysisError(f"answers to unknown item(s): {', '.join(bad[:5])}")
    missing = np.isnan(values)
    if (missing & ~dont_know).any():
        raise AnalysisError("an answer has no value and is not 'don't know'")
    if (~missing & dont_know).any():
        raise AnalysisError("a 'don't know' answer also has a value")
    given = values[~missing]
    if ((given < 1) | (given > 5) | (given != np.round(given))).any():
        raise AnalysisError("answer values must be whole numbers from 1 to 5")

    levels = np.where(dont_know, DONT_KNOW, np.nan_to_num(values, nan=1.0) - 1).astype(np.int8)
    matrix = np.full((len(response_ids), len(item_ids)), -1, dtype=np.int8)
    matrix[rows, item_codes] = levels
    if np.count_nonzero(matrix >= 0) != len(levels):
        raise AnalysisError("a response answers the same item more than once")

    return Encoded(
        response_ids=response_ids,
        matrix=matrix,
        dims=dims,
        item_ids=item_ids,
        item_domain=item_domain.astype(np.int64),
        item_text=tuple(str(t) for t in items["text"]),
        domain_ids=domain_ids,
        domain_labels=tuple(str(v) for v in domains["label"]),
    )


def tidy_answers(frames: RoundFrames) -> pd.DataFrame:
    """One row per answer, joined with its response and item: the tidy frame of the analysis.

    Columns: response_id, round_id, partner_type, locality, role_level, training, item_id,
    domain, value (Int64, <NA> for "don't know"), dont_know. Group and item columns are
    categoricals (in instrument / label order), which keeps group-bys fast and ordered.
    Rows come in response order, then instrument order.
    """
    enc = frames.encoded
    rows, items = np.nonzero(enc.matrix >= 0)
    levels = enc.matrix[rows, items].astype(np.int64)
    dont_know = levels == DONT_KNOW
    out: dict[str, object] = {
        "response_id": enc.response_ids[rows],
        "round_id": np.full(len(rows), frames.round_id, dtype=np.int64),
    }
    for name in DIMENSIONS:
        dim = enc.dims[name]
        codes = dim.codes[rows]
        keys = list(dim.keys)
        if NOT_STATED in keys:
            codes = np.where(codes == keys.index(NOT_STATED), -1, codes)
            keys.remove(NOT_STATED)
        out[name] = pd.Categorical.from_codes(codes, categories=pd.Index(keys))
    out["item_id"] = pd.Categorical.from_codes(items, categories=pd.Index(enc.item_ids))
    domain_codes = enc.item_domain[items]
    out["domain"] = pd.Categorical.from_codes(domain_codes, categories=pd.Index(enc.domain_ids))
    out["value"] = pd.arrays.IntegerArray(np.where(dont_know, 0, levels + 1), dont_know)
    out["dont_know"] = dont_know
    return pd.DataFrame(out)


def filter_frames(
    frames: RoundFrames,
    locality: str | None = None,
    role_level: str | None = None,
    training: str | None = None,
) -> RoundFrames:
    """The round restricted to responses matching the given filter (None = no filter).

    One filter dimension at a time (:class:`AnalysisError` otherwise): with two, the tables
    behind the views become three-way and small-group suppression can no longer guarantee
    that no hidden cell can be solved for from the others.

    The result is an ordinary :class:`RoundFrames` that every output accepts; it remembers its
    unfiltered round so suppression can protect groups against differencing between the
    filtered and unfiltered reports. A filter value no response has gives an empty view (all
    suppressed), not an error, so the same filter can be applied to a compared round.
    """
    if role_level is not None and role_level not in ROLE_LEVELS:
        raise AnalysisError(f"unknown role level {role_level!r}")
    if training is not None and training not in TRAINING:
        raise AnalysisError(f"unknown training answer {training!r}")
    wanted = {
        k: v
        for k, v in (("locality", locality), ("role_level", role_level), ("training", training))
        if v is not None
    }
    current = dict(frames.filters)
    for name, value in wanted.items():
        if current.get(name, value) != value:
            raise AnalysisError(f"this view is already filtered to {name} = {current[name]!r}")
    current.update(wanted)
    if len(current) > 1:
        raise AnalysisError(
            "filter by one of locality, role level or training at a time: views crossing "
            "two filters could be combined to reveal small groups"
        )
    root = frames.root
    keep = np.ones(len(root.responses), dtype=bool)
    for name, value in current.items():
        keep &= root.responses[name].eq(value).to_numpy(dtype=bool, na_value=False)
    responses = root.responses.loc[keep].reset_index(drop=True)
    kept_ids = pd.Index(responses["response_id"])
    answers = root.answers.loc[kept_ids.get_indexer(root.answers["response_id"]) >= 0]
    return replace(
        root,
        responses=responses,
        answers=answers.reset_index(drop=True),
        base=root,
        filters=tuple((d, current[d]) for d in DIMENSIONS if d in current),
    )
