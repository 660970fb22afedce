"""drift reports

Revision ID: 0004
Revises: 0009
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drift_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(), server_default=sa.text("CURRENT_TIMESTAMP"), nullable=False
        ),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("drift_detected", sa.Boolean(), nullable=False),
        sa.Column("share_drifted", sa.Float(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_reports")),
    )
    op.create_index(
        op.f("ix_drift_reports_created_at"), "drift_reports", ["created_at"], unique=False
    )
    op.create_index(op.f("ix_drift_reports_kind"), "drift_reports", ["kind"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_drift_reports_kind"), table_name="drift_reports")
    op.drop_index(op.f("ix_drift_reports_created_at"), table_name="drift_reports")
    op.drop_table("drift_reports")
