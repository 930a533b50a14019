"""The few analysis names the models, services and CLI need without pandas: importing this
module costs nothing, so ``flask --help`` and cheap commands start fast (see
``tests/test_architecture.py``)."""

from __future__ import annotations

#: No group smaller than this is ever reported, whatever a round asks for (product.md: "never
#: below 5"). The one definition: rounds' CHECK constraint and validation use it too.
SMALLEST_MIN_GROUP_SIZE = 5

#: Spreadsheet formula starters that a text cell must not begin with.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class AnalysisError(ValueError):
    """Bad input to the analysis (missing columns, unknown ids, impossible values)."""


def neutralise(text: str) -> str:
    """Make a text cell safe to open in a spreadsheet: prefix a formula-like value with '."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text
