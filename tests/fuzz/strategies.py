"""Shared pieces of the fuzz tests: hypothesis settings, hostile values, and a way to see that
a refused request wrote nothing.

Which examples run is set by the hypothesis profile (``tests/conftest.py``): ``ci``, the
default, is derandomised, so a commit always tries the same examples; ``random`` searches anew
each run. Each test builds one app and database and runs its examples inside (an inner
``@given`` function), so every property is about what one request changed, against a snapshot
taken just before it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from surveyapp.extensions import db

#: The profile loaded for this run, plus what every fuzz test needs: a request through the whole
#: app is slow by hypothesis's standards, and big on purpose.
FUZZ = settings(
    deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)

#: The payload that must never come back unescaped.
SCRIPT = "<script>alert(1)</script>"

#: Values that have broken web apps before.
HOSTILE_TEXT = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "\x00",
    "a\x00b",
    "\u202eevil\u202c",
    "\ufeff",
    "\uffff",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🙂 ﷽",
    "Ǆ̸̡̛͎̭̈́ͅ",
    "' OR 1=1; --",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "{link}{title}{}{{",
    "%s%n%x",
    "\r\n\r\nInjected: header",
    " ",
    "",
    "0",
    "-1",
    "1e309",
    "99999999999999999999999",
    "NaN",
    "null",
    "[]",
    "x" * 5000,
    "é" * 70_000,
]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=60),
    st.text(st.characters(codec="utf-8"), max_size=20),
)


def often(value: Any, others: list[Any], times: int = 4) -> st.SearchStrategy[Any]:
    """``value`` about ``times`` times as often as any one of ``others`` put together."""
    return st.sampled_from([value] * (times * len(others)) + others)


def rarely(one_in: int = 8) -> st.SearchStrategy[bool]:
    """True about one time in ``one_in``."""
    return st.sampled_from([False] * (one_in - 1) + [True])


def db_snapshot() -> dict[str, list[str]]:
    """Every row of every table, as text: equal snapshots mean nothing was written."""
    snapshot = {}
    for table in db.metadata.sorted_tables:
        rows = db.session.execute(sa.select(table)).all()
        snapshot[table.name] = sorted(repr(tuple(row)) for row in rows)
    db.session.rollback()
    return snapshot


def changed_tables(before: dict[str, list[str]], after: dict[str, list[str]]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def body_text(resp: Any) -> str:
    return resp.get_data().decode("utf-8", "replace")


def assert_no_reflected_script(resp: Any) -> None:
    """The marker script never comes back as markup (escaped it is harmless text)."""
    text = body_text(resp)
    assert "<script>alert(" not in text.lower()
    assert "<img src=x onerror" not in text.lower()
