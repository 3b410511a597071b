"""orders: a covering index for a sub-LTA's consumption of its ceiling (R15)

The order service sums the spend of a sub-LTA's orders at every check of an order; with
(sub_lta_id, status, total) the sum reads the index alone. It replaces the single-column
index on sub_lta_id, which it also serves.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_sub_lta_spend", ["sub_lta_id", "status", "total"], unique=False
        )
        batch_op.drop_index(batch_op.f("ix_orders_sub_lta_id"))


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_orders_sub_lta_id"), ["sub_lta_id"], unique=False)
        batch_op.drop_index("ix_orders_sub_lta_spend")
