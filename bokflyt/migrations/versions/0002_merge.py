"""Merge: librarians' split/join overrides and the state the incremental merge starts from.

Revision ID: 0002_merge
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_merge"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "merge_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("other_source", sa.String(length=64), nullable=True),
        sa.Column("other_record_id", sa.String(length=64), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_merge_overrides")),
    )
    op.create_index(
        "ix_merge_overrides_record", "merge_overrides", ["source", "record_id"], unique=False
    )
    op.create_index(
        "ix_merge_overrides_other",
        "merge_overrides",
        ["other_source", "other_record_id"],
        unique=False,
    )
    op.create_table(
        "merge_state",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("cluster_id", sa.String(length=64), nullable=False),
        sa.Column("work_id", sa.String(length=64), nullable=False),
        sa.Column("component_id", sa.String(length=64), nullable=False),
        sa.Column("record_updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("source", "record_id", name=op.f("pk_merge_state")),
    )
    op.create_index("ix_merge_state_component", "merge_state", ["component_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_merge_state_component", table_name="merge_state")
    op.drop_table("merge_state")
    op.drop_index("ix_merge_overrides_other", table_name="merge_overrides")
    op.drop_index("ix_merge_overrides_record", table_name="merge_overrides")
    op.drop_table("merge_overrides")
