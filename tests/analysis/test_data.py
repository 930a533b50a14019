"""The input contract: validation, the tidy frame and filters."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from surveyapp.analysis.data import AnalysisError, Contrast, filter_frames, tidy_answers
from surveyapp.analysis.metrics import item_table
from tests.analysis.factory import make_frames, many, resp


@pytest.fixture
def frames():
    return make_frames(
        many(
            6,
            "school",
            {"q1": 4, "q2": 5},
            locality="North",
            role_level="frontline",
            training="yes",
        )
        + many(6, "police", {"q1": 2, "q3": "dk"}, locality="South", role_level="manager")
        + [resp("school", {"q4": 3}, locality="North", role_level="frontline", training="yes")]
    )


def test_tidy_frame_has_one_row_per_answer_with_categoricals(frames):
    tidy = tidy_answers(frames)
    assert list(tidy.columns) == [
        "response_id",
        "round_id",
        "partner_type",
        "locality",
        "role_level",
        "training",
        "item_id",
        "domain",
        "value",
        "dont_know",
    ]
    assert len(tidy) == len(frames.answers) == 25
    for column in ("partner_type", "locality", "role_level", "training", "item_id", "domain"):
        assert isinstance(tidy[column].dtype, pd.CategoricalDtype)
    assert list(tidy["item_id"].cat.categories) == ["q1", "q2", "q3", "q4"]
    assert str(tidy["value"].dtype) == "Int64"
    dk = tidy.loc[tidy["dont_know"]]
    assert len(dk) == 6 and dk["value"].isna().all() and (dk["item_id"] == "q3").all()
    assert (tidy["round_id"] == 1).all()
    police = tidy.loc[tidy["partner_type"] == "police"]
    assert (police["locality"] == "South").all() and police["training"].isna().all()
    rebuilt = {(r.response_id, str(r.item_id)): r.value for r in tidy.itertuples()}
    source = {(r.response_id, r.item_id): r.value for r in frames.answers.itertuples()}
    assert rebuilt.keys() == source.keys()
    assert all((rebuilt[k] is pd.NA) == (source[k] is pd.NA) for k in source)
    assert all(rebuilt[k] == source[k] for k in source if source[k] is not pd.NA)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda f: replace(f, answers=f.answers.drop(columns="value")), "missing column"),
        (lambda f: replace(f, answers=f.answers.assign(item_id="zz")), "unknown item"),
        (
            lambda f: replace(f, responses=f.responses.assign(partner_type="martians")),
            "unknown partner_type",
        ),
        (
            lambda f: replace(f, responses=f.responses.assign(role_level="boss")),
            "unknown role_level",
        ),
        (
            lambda f: replace(f, answers=pd.concat([f.answers, f.answers.iloc[:1]])),
            "more than once",
        ),
        (
            lambda f: replace(
                f,
                answers=f.answers.assign(
                    value=pd.array([7] * len(f.answers), dtype="Int64"), dont_know=False
                ),
            ),
            "from 1 to 5",
        ),
        (lambda f: replace(f, answers=f.answers.assign(dont_know=True)), "also has a value"),
        (lambda f: replace(f, answers=f.answers.assign(value=pd.NA, dont_know=False)), "no value"),
        (
            lambda f: replace(f, responses=pd.concat([f.responses, f.responses.iloc[:1]])),
            "duplicates",
        ),
        (lambda f: replace(f, answers=f.answers.assign(response_id=99)), "not in responses"),
        (lambda f: replace(f, contrasts=(Contrast("x", "x", "q1", "nope"),)), "unknown item"),
        (lambda f: replace(f, items=f.items.assign(domain="elsewhere")), "domain"),
        (lambda f: replace(f, partner_type_labels={"all": "All"}), "cannot be a partner type"),
    ],
)
def test_bad_input_raises_analysis_error(frames, change, message):
    with pytest.raises(AnalysisError, match=message):
        item_table(change(frames))


def test_min_group_size_below_five_is_refused(frames):
    with pytest.raises(AnalysisError, match="at least 5"):
        replace(frames, min_group_size=4)


def test_filter_keeps_matching_responses_and_their_answers(frames):
    north = filter_frames(frames, locality="North")
    assert len(north.responses) == 7 and set(north.responses["partner_type"]) == {"school"}
    assert set(north.answers["response_id"]) == set(north.responses["response_id"])
    assert north.root is frames and dict(north.filters) == {"locality": "North"}
    assert item_table(north).loc[0, "n_responses"] == 7


def test_filter_refuses_unknown_values_and_two_dimensions(frames):
    with pytest.raises(AnalysisError, match="role level"):
        filter_frames(frames, role_level="boss")
    with pytest.raises(AnalysisError, match="training"):
        filter_frames(frames, training="maybe")
    with pytest.raises(AnalysisError, match="one of"):
        filter_frames(frames, locality="North", role_level="frontline")
    with pytest.raises(AnalysisError, match="one of"):
        filter_frames(filter_frames(frames, locality="North"), training="yes")
    with pytest.raises(AnalysisError, match="already filtered"):
        filter_frames(filter_frames(frames, locality="North"), locality="South")


def test_filter_to_a_locality_nobody_has_gives_an_empty_suppressed_view(frames):
    table = item_table(filter_frames(frames, locality="Atlantis"))
    assert table["suppressed"].all() and table["n_valid"].isna().all()


def test_cannot_break_a_filtered_view_down_by_its_own_filter(frames):
    with pytest.raises(AnalysisError, match="filtered to one locality"):
        item_table(filter_frames(frames, locality="North"), by="locality")
    with pytest.raises(AnalysisError, match="cannot break down"):
        item_table(frames, by="shoe_size")


def test_value_column_may_be_float_with_nan(frames):
    floats = frames.answers.assign(value=frames.answers["value"].astype("float64"))
    a = item_table(frames)
    b = item_table(replace(frames, answers=floats))
    pd.testing.assert_frame_equal(a, b)
    assert np.isfinite(a.loc[0, "pct_positive"])
