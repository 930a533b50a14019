"""Round ids are never reused: AUTOINCREMENT on SQLite (PostgreSQL sequences never reuse).

Revision ID: 5e7a1c0b9d21
Revises: a7c3e1f04b21
Create Date: 2026-11-28 09:30:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "5e7a1c0b9d21"
down_revision = "a7c3e1f04b21"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # SQLite only takes AUTOINCREMENT when a table is created: rebuild it (rows, ids and
    # constraints are copied; sqlite_sequence starts from the highest id in use)
    with op.batch_alter_table(
        "rounds", recreate="always", table_kwargs={"sqlite_autoincrement": True}
    ):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "rounds", recreate="always", table_kwargs={"sqlite_autoincrement": False}
    ):
        pass
