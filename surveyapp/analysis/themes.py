"""Themes in free-text comments, found offline on the CPU: TF-IDF weights of words and word
pairs, factorised by non-negative matrix factorisation (scikit-learn), with a fixed seed so the
same comments always give the same themes.

Pure: a Series of comment texts in, :class:`Theme` objects out; no Flask, no database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

#: Fewer comments than this give no themes (too few to say anything reliable).
MIN_COMMENTS = 8
#: At most this many themes, and roughly one per this many comments.
MAX_THEMES = 6
COMMENTS_PER_THEME = 8
SEED = 0


@dataclass(frozen=True)
class Theme:
    """A theme: its top words, how many comments it is the main theme of, and the positions (in
    the input Series) of the comments that show it best."""

    keywords: tuple[str, ...]
    count: int
    examples: tuple[int, ...]

    @property
    def label(self) -> str:
        return ", ".join(self.keywords)


def find_themes(
    comments: pd.Series,
    *,
    n_themes: int | None = None,
    n_keywords: int = 4,
    n_examples: int = 3,
) -> list[Theme]:
    """Themes of ``comments`` (strings), largest first; empty when there are too few comments
    or too few shared words. Each comment counts towards its strongest theme only."""
    texts = comments.fillna("").astype(str).str.strip()
    texts = texts[texts != ""]
    if len(texts) < MIN_COMMENTS:
        return []
    k = n_themes or min(MAX_THEMES, max(2, len(texts) // COMMENTS_PER_THEME))
    vectoriser = TfidfVectorizer(
        stop_words="english",
        ngram_range=(1, 2),
        min_df=2,
        max_df=0.9,
        token_pattern=r"(?u)\b[^\W\d_][^\W\d_]+\b",
        sublinear_tf=True,
    )
    try:
        weights = vectoriser.fit_transform(texts.to_list())
    except ValueError:  # no word appears in two comments
        return []
    k = min(k, weights.shape[1], weights.shape[0] - 1)
    if k < 1:
        return []
    model = NMF(n_components=k, init="nndsvda", random_state=SEED, max_iter=500)
    doc_topic = model.fit_transform(weights)
    terms = vectoriser.get_feature_names_out()
    strongest = doc_topic.argmax(axis=1)
    has_topic = doc_topic.max(axis=1) > 0
    positions = np.flatnonzero(comments.index.isin(texts.index))  # texts' places in the input
    themes = []
    for topic in range(k):
        members = np.flatnonzero(has_topic & (strongest == topic))
        if len(members) == 0:
            continue
        weights_of = model.components_[topic]
        order = np.argsort(-weights_of, kind="stable")
        # words that matter to the theme: at least a quarter of its strongest word's weight
        strong = [str(terms[i]) for i in order if weights_of[i] >= 0.25 * weights_of[order[0]]]
        keywords = _distinct(strong, n_keywords)
        best = members[np.argsort(-doc_topic[members, topic], kind="stable")][:n_examples]
        themes.append(
            Theme(
                keywords=tuple(keywords),
                count=len(members),
                examples=tuple(int(positions[i]) for i in best),
            )
        )
    return sorted(themes, key=lambda t: (-t.count, t.keywords))


def _distinct(terms: list[str], n: int) -> list[str]:
    """The first ``n`` terms, skipping a word already shown inside a chosen pair or vice versa."""
    chosen: list[str] = []
    for term in terms:
        words = set(term.split())
        if any(words & set(c.split()) for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == n:
            break
    return chosen
