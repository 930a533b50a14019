"""Open links get a name (channel) and a shared-device setting; a response records the open
link it came through, an anomaly flag, its answer pattern and whether a lead excluded it.

Revision ID: b3f1d2e4c5a6
Revises: a7c3e91d5b20
Create Date: 2026-11-28 12:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "b3f1d2e4c5a6"
down_revision = "a7c3e91d5b20"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("open_links") as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=120), nullable=True))
        batch_op.add_column(
            sa.Column("shared_device", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("responses") as batch_op:
        batch_op.add_column(sa.Column("open_link_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("flag", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("pattern", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("excluded", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index("ix_responses_open_link_id_pattern", ["open_link_id", "pattern"])
        batch_op.create_foreign_key(
            batch_op.f("fk_responses_open_link_id_open_links"),
            "open_links",
            ["open_link_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("responses") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_responses_open_link_id_open_links"), type_="foreignkey"
        )
        batch_op.drop_index("ix_responses_open_link_id_pattern")
        batch_op.drop_column("excluded")
        batch_op.drop_column("pattern")
        batch_op.drop_column("flag")
        batch_op.drop_column("open_link_id")
    with op.batch_alter_table("open_links") as batch_op:
        batch_op.drop_column("shared_device")
        batch_op.drop_column("name")
