"""Transfers: the candidate copies of an "any copy" transfer, for the solver to choose among.

`candidates` is a JSON list of `[site, barcode]` pairs, one per site holding a copy on the shelf
when the transfer was requested.  The copy the day's plan chose is written to `barcode` and
`from_site` when the plan is stored.  Still no column for a borrower.
`plan_crates.shipment` links a crate to the stops that carry it (`route_stops.leg`).

Revision ID: 0008
Revises: 0003_transport
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0003_transport"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("transfers") as batch:
        batch.add_column(sa.Column("candidates", sa.JSON(), nullable=True))
    with op.batch_alter_table("plan_crates") as batch:
        batch.add_column(sa.Column("shipment", sa.String(length=45), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("plan_crates") as batch:
        batch.drop_column("shipment")
    with op.batch_alter_table("transfers") as batch:
        batch.drop_column("candidates")
