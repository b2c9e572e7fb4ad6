"""Scanning back: crate scans at pickup and delivery, and deviations (avvik) for the carrier.

Revision ID: 0007
Revises: 0003_transport
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0003_transport"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crate_scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("crate_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event", sa.String(length=12), nullable=False),
        sa.Column("site", sa.String(length=20), nullable=False),
        sa.Column("expected_site", sa.String(length=20), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("wrong_site", sa.Boolean(), nullable=False),
        sa.Column("forward", sa.Boolean(), nullable=False),
        sa.Column(
            "scanned_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(["site"], ["sites.code"], name=op.f("fk_crate_scans_site_sites")),
        sa.ForeignKeyConstraint(
            ["expected_site"], ["sites.code"], name=op.f("fk_crate_scans_expected_site_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crate_scans")),
    )
    op.create_index("ix_crate_scans_crate", "crate_scans", ["crate_id"], unique=False)
    op.create_table(
        "deviations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("van", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("crate_id", sa.String(length=40), nullable=True),
        sa.Column("site", sa.String(length=20), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(["site"], ["sites.code"], name=op.f("fk_deviations_site_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deviations")),
    )
    op.create_index("ix_deviations_day", "deviations", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deviations_day", table_name="deviations")
    op.drop_table("deviations")
    op.drop_index("ix_crate_scans_crate", table_name="crate_scans")
    op.drop_table("crate_scans")
