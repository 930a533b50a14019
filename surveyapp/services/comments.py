"""The free-text comments of a round, for leads only: who said it (only for partner types large
enough to report), a search, and themes (:mod:`surveyapp.analysis.themes`).

Nothing here reaches managers' reports or public pages. A comment is attributed to its partner
type only when that partner type has at least the round's minimum group size of responses; if
exactly one partner type is too small, the next smallest is left unattributed too, so "another
partner type" never names one group. Comments are listed in the order of the responses' random
ids, and never with a date, so nothing links a comment to an invitation.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from surveyapp.analysis.basics import neutralise
from surveyapp.extensions import db
from surveyapp.models import PartnerType, Response, Round

# pandas, scikit-learn (the themes) and openpyxl are imported where they are used: the web app
# and the CLI import this module at start-up, and only the comments pages need them.
if TYPE_CHECKING:
    import pandas as pd

    from surveyapp.analysis.themes import Theme

UNATTRIBUTED = "Another partner type"


@dataclass(frozen=True)
class Comments:
    """A round's comments: ``table`` has columns ``partner_type``, ``comment`` and ``id`` (the
    response's random id, for publishing one as a quote)."""

    table: pd.DataFrame
    themes: list[Theme]
    responses: int
    unattributed_types: int


def _attributable(counts: pd.Series, min_size: int) -> set[str]:
    """Partner types large enough to name, with the complementary group protected."""
    small = counts[counts < min_size]
    large = counts[counts >= min_size].sort_values(kind="stable")
    if len(small) == 1 and len(large) > 0:
        large = large.iloc[1:]
    return set(large.index)


def round_comments(round_: Round) -> Comments:
    """Every non-empty comment of the round, attributed where safe, with the round's themes."""
    import pandas as pd

    from surveyapp.analysis.themes import find_themes

    rows = db.session.execute(
        sa.select(Response.id, PartnerType.label, Response.comment)
        .join(PartnerType, PartnerType.id == Response.partner_type_id)
        .where(Response.round_id == round_.id, Response.excluded.is_(False))
        .order_by(Response.id)
    ).all()
    frame = pd.DataFrame(rows, columns=["id", "partner_type", "comment"])
    counts = frame["partner_type"].value_counts()
    named = _attributable(counts, round_.min_group_size)
    frame["comment"] = frame["comment"].fillna("").astype(str).str.strip()
    with_text = frame[frame["comment"] != ""].reset_index(drop=True)
    with_text["partner_type"] = with_text["partner_type"].where(
        with_text["partner_type"].isin(named), UNATTRIBUTED
    )
    return Comments(
        table=with_text[["partner_type", "comment", "id"]],
        themes=find_themes(with_text["comment"]),
        responses=len(frame),
        unattributed_types=int((~counts.index.isin(named)).sum()),
    )


def search(table: pd.DataFrame, query: str) -> pd.DataFrame:
    """Comments containing every word of ``query`` (any case)."""
    import pandas as pd

    mask = pd.Series(True, index=table.index)
    for word in query.lower().split():
        mask &= table["comment"].str.lower().str.contains(word, regex=False)
    return table[mask]


def comments_xlsx(round_: Round, comments: Comments) -> bytes:
    """A workbook for leads: the comments, and the themes with their counts and examples."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Comments"
    sheet.append(["Partner type", "Comment"])
    for partner_type, comment in comments.table[["partner_type", "comment"]].itertuples(
        index=False
    ):
        sheet.append([neutralise(partner_type), neutralise(comment)])
    themes = book.create_sheet("Themes")
    themes.append(["Theme (top words)", "Comments", "Example 1", "Example 2", "Example 3"])
    for theme in comments.themes:
        examples = [neutralise(comments.table["comment"].iloc[i]) for i in theme.examples]
        themes.append([neutralise(theme.label), theme.count, *examples])
    for ws, widths in ((sheet, (28, 100)), (themes, (40, 12, 60, 60, 60))):
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column, width in zip("ABCDE", widths, strict=False):
            ws.column_dimensions[column].width = width
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    book.properties.title = f"Comments – {round_.title}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
