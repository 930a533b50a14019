"""Published quotes: comments a lead chose (and may have edited) to publish in reports.

Revision ID: b4d2f6a8c310
Revises: b3f1d2e4c5a6
Create Date: 2026-11-28 12:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = "b4d2f6a8c310"
down_revision = "b3f1d2e4c5a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "published_quotes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["responses.id"],
            name=op.f("fk_published_quotes_response_id_responses"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_published_quotes_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_published_quotes")),
        sa.UniqueConstraint("response_id", name=op.f("uq_published_quotes_response_id")),
    )
    with op.batch_alter_table("published_quotes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_published_quotes_round_id"), ["round_id"], unique=False)


def downgrade():
    with op.batch_alter_table("published_quotes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_published_quotes_round_id"))
    op.drop_table("published_quotes")
