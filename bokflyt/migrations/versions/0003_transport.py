"""Transport: transfers waiting to move, daily route plans, their stops and crates.

No column stores a borrower (library confidentiality): a transfer knows an item or a cluster and
a destination only.

Revision ID: 0003_transport
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_transport"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "transfers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=True),
        sa.Column("cluster_key", sa.String(length=64), nullable=True),
        sa.Column("any_copy", sa.Boolean(), nullable=False),
        sa.Column("from_site", sa.String(length=20), nullable=True),
        sa.Column("at_site", sa.String(length=20), nullable=True),
        sa.Column("to_site", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.Date(), nullable=True),
        sa.Column("age_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["from_site"], ["sites.code"], name=op.f("fk_transfers_from_site_sites")
        ),
        sa.ForeignKeyConstraint(
            ["at_site"], ["sites.code"], name=op.f("fk_transfers_at_site_sites")
        ),
        sa.ForeignKeyConstraint(
            ["to_site"], ["sites.code"], name=op.f("fk_transfers_to_site_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfers")),
    )
    op.create_index("ix_transfers_status", "transfers", ["status"], unique=False)
    op.create_table(
        "route_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("solver", sa.String(length=40), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("cost", sa.Float(), nullable=False),
        sa.Column("problem_json", sa.JSON(), nullable=False),
        sa.Column("solution_json", sa.JSON(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_plans")),
        sa.UniqueConstraint("day", name=op.f("uq_route_plans_day")),
    )
    op.create_table(
        "route_stops",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("van", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("site", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("leg", sa.String(length=45), nullable=False),
        sa.Column("eta_s", sa.Float(), nullable=False),
        sa.Column("crates", sa.Integer(), nullable=False),
        sa.Column("load_after", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["route_plans.id"],
            name=op.f("fk_route_stops_plan_id_route_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["site"], ["sites.code"], name=op.f("fk_route_stops_site_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_stops")),
        sa.UniqueConstraint("plan_id", "van", "seq", name="uq_route_stops_order"),
    )
    op.create_table(
        "plan_crates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("destination", sa.String(length=20), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("barcodes", sa.JSON(), nullable=False),
        sa.Column("routed", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["route_plans.id"],
            name=op.f("fk_plan_crates_plan_id_route_plans"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["origin"], ["sites.code"], name=op.f("fk_plan_crates_origin_sites")
        ),
        sa.ForeignKeyConstraint(
            ["destination"], ["sites.code"], name=op.f("fk_plan_crates_destination_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_crates")),
    )


def downgrade() -> None:
    op.drop_table("plan_crates")
    op.drop_table("route_stops")
    op.drop_table("route_plans")
    op.drop_index("ix_transfers_status", table_name="transfers")
    op.drop_table("transfers")
