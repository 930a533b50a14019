"""A response keeps its answers packed (packed_answers_1, packed_answers_2), so a round's report
reads one row per response; existing responses are filled from their answers.

Each item's answer is a 3-bit code (0 none, 1-5 the value, 6 "don't know") at the item's place
in the round instrument's item order, 20 items to a BIGINT: items 1-20 and 21-40. A column past
the instrument's last item stays NULL.

Revision ID: c5e8a2d7f913
Revises: b4d2f6a8c310
Create Date: 2026-11-28 18:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "c5e8a2d7f913"
down_revision = "b4d2f6a8c310"
branch_labels = None
depends_on = None

#: Copied, not imported, so this migration never changes when the app's packing does.
BITS = 3
ITEMS = 20
DONT_KNOW = 6
COLUMNS = ("packed_answers_1", "packed_answers_2")

snapshots = sa.table(
    "instrument_snapshots",
    sa.column("id", sa.Integer),
    sa.column("definition", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
)
rounds = sa.table("rounds", sa.column("id", sa.Integer), sa.column("instrument_id", sa.Integer))
responses = sa.table(
    "responses",
    sa.column("id", sa.BigInteger),
    sa.column("round_id", sa.Integer),
    *(sa.column(name, sa.BigInteger) for name in COLUMNS),
)
answers = sa.table(
    "answers",
    sa.column("response_id", sa.BigInteger),
    sa.column("item_id", sa.String),
    sa.column("value", sa.SmallInteger),
    sa.column("dont_know", sa.Boolean),
)


def _packed(item_ids: list[str]) -> sa.ColumnElement[int]:
    """A response's answers to these (at most 20) items folded into one integer; 0 when it
    has none (reports read NULL as "not packed")."""
    code = sa.case((answers.c.dont_know, DONT_KNOW), else_=answers.c.value)
    place = sa.case(
        {item: 1 << (BITS * k) for k, item in enumerate(item_ids)},
        value=answers.c.item_id,
        else_=0,
    )
    total = sa.func.sum(sa.cast(place, sa.BigInteger) * code)
    folded = (
        sa.select(sa.cast(total, sa.BigInteger))
        .where(answers.c.response_id == responses.c.id)
        .scalar_subquery()
    )
    return sa.func.coalesce(folded, sa.cast(0, sa.BigInteger))


def upgrade() -> None:
    for name in COLUMNS:
        op.add_column("responses", sa.Column(name, sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    # One UPDATE per instrument snapshot (a handful), each filling all of its rounds'
    # responses at once from their answers, in that snapshot's item order.
    used = sa.select(rounds.c.instrument_id).distinct()
    for snapshot_id, definition in bind.execute(
        sa.select(snapshots.c.id, snapshots.c.definition).where(snapshots.c.id.in_(used))
    ):
        item_ids = [item["id"] for item in definition["items"]]
        values = {
            name: _packed(item_ids[n * ITEMS : (n + 1) * ITEMS])
            for n, name in enumerate(COLUMNS)
            if n * ITEMS < len(item_ids)
        }
        bind.execute(
            sa.update(responses)
            .where(
                responses.c.round_id.in_(
                    sa.select(rounds.c.id).where(rounds.c.instrument_id == snapshot_id)
                )
            )
            .values(values)
        )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch rebuild of ``responses`` would drop
    # the table, and SQLite's foreign keys would then delete every answer with it.
    for name in reversed(COLUMNS):
        op.execute(f"ALTER TABLE responses DROP COLUMN {name}")
