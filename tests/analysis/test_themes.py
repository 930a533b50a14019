"""Comment themes: deterministic, each comment counted once, examples from the theme."""

from __future__ import annotations

import itertools

import pandas as pd

from surveyapp.analysis.themes import find_themes

TRAINING = [
    "More multi-agency training on thresholds",
    "Training on thresholds for new staff",
    "Threshold training every year would help",
    "Joint training with social care on thresholds",
    "Refresher training on the thresholds guidance",
]
CONTACT = [
    "A named contact in the early help team",
    "One phone number for the early help team",
    "Knowing who to phone in the early help team",
    "A contact list for the early help team",
    "Quicker replies from the early help team",
]


def test_two_clear_themes_are_found_with_their_counts_and_examples():
    comments = pd.Series(TRAINING + CONTACT + ["", None], index=range(100, 112))
    themes = find_themes(comments, n_themes=2)
    assert len(themes) == 2
    by_word = {("training" if "training" in t.label else "team"): t for t in themes}
    assert by_word["training"].count == 5 and by_word["team"].count == 5
    # examples are positions in the input, and each one belongs to its theme
    assert set(by_word["training"].examples) <= set(range(0, 5))
    assert set(by_word["team"].examples) <= set(range(5, 10))
    assert len(by_word["team"].examples) == 3


def test_same_comments_same_themes_and_too_few_give_none():
    comments = pd.Series(TRAINING + CONTACT)
    assert find_themes(comments) == find_themes(comments.copy())
    assert find_themes(pd.Series(TRAINING[:3])) == []
    words = ["".join(w) for w in itertools.product("bdfgk", "aeiou", "lmnr")]  # 100 distinct
    unshared = pd.Series([f"{words[i]} {words[i + 1]}" for i in range(0, 40, 2)])
    assert len(unshared) >= 20 and find_themes(unshared) == []  # no word in two comments
