"""competitions: the opening and evaluation figures of offers (issue 4)

The opening writes each offer's landed total and whether its content hash still matches; the
evaluation writes what the scores were computed from (total in USD, the ORE rate and its date,
the past-performance figure), the score and the rank, so the evidence never depends on a
later recomputation (R20). The competition records who evaluated it and when.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OFFER_COLUMNS = (
    ("total", sa.BigInteger()),
    ("hash_ok", sa.Boolean()),
    ("total_usd", sa.BigInteger()),
    ("fx_units_per_usd", sa.BigInteger()),
    ("fx_effective_date", sa.Date()),
    ("past_performance", sa.BigInteger()),
    ("score", sa.BigInteger()),
    ("rank", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("mini_competitions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evaluated_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("evaluated_by", sa.String(length=100), nullable=True))
    with op.batch_alter_table("offers", schema=None) as batch_op:
        for name, type_ in _OFFER_COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        for name, _ in reversed(_OFFER_COLUMNS):
            batch_op.drop_column(name)
    with op.batch_alter_table("mini_competitions", schema=None) as batch_op:
        batch_op.drop_column("evaluated_by")
        batch_op.drop_column("evaluated_at")
