"""Unlinkable submissions: a submission writes nothing to its invitation. The invitation
records the day its one draft was made (drafted_on), the draft names its invitation, and
"drafted, no draft left" is completion.

Revision ID: a7c3e91d5b20
Revises: 5e7a1c0b9d21
Create Date: 2026-11-28 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = "a7c3e91d5b20"
down_revision = "5e7a1c0b9d21"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.add_column(sa.Column("drafted_on", sa.Date(), nullable=True))
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_drafts_invitation_id"), ["invitation_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_drafts_invitation_id_invitations"),
            "invitations",
            ["invitation_id"],
            ["id"],
            ondelete="CASCADE",
        )
    # Invitations completed before this revision keep completed_on; they were drafted too.
    op.execute("UPDATE invitations SET drafted_on = completed_on WHERE completed_on IS NOT NULL")


def downgrade():
    with op.batch_alter_table("drafts") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_drafts_invitation_id_invitations"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_drafts_invitation_id"))
        batch_op.drop_column("invitation_id")
    with op.batch_alter_table("invitations") as batch_op:
        batch_op.drop_column("drafted_on")
