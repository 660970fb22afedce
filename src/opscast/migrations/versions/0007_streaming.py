"""ingest batch receipts, stream anomalies and failure forecasts

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ingest_batches",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("log_events", sa.Integer(), nullable=False),
        sa.Column("stored_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_ingest_batches")),
    )
    op.create_index(
        op.f("ix_ingest_batches_stored_at"), "ingest_batches", ["stored_at"], unique=False
    )
    op.create_table(
        "anomalies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("ds", sa.DateTime(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detector", sa.String(length=40), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.Column("detected_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anomalies")),
        sa.UniqueConstraint("host", "metric", "ds", name="uq_anomalies_point"),
    )
    op.create_index(op.f("ix_anomalies_ds"), "anomalies", ["ds"], unique=False)
    op.create_index(op.f("ix_anomalies_host"), "anomalies", ["host"], unique=False)
    op.create_index(op.f("ix_anomalies_score"), "anomalies", ["score"], unique=False)
    op.create_table(
        "failure_forecasts",
        sa.Column("host", sa.String(length=100), nullable=False),
        sa.Column("metric", sa.String(length=100), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("level", sa.Float(), nullable=False),
        sa.Column("limit", sa.Float(), nullable=False),
        sa.Column("rate_per_hour", sa.Float(), nullable=False),
        sa.Column("failure_at", sa.DateTime(), nullable=False),
        sa.Column("eta_hours", sa.Float(), nullable=False),
        sa.Column("earliest_hours", sa.Float(), nullable=False),
        sa.Column("latest_hours", sa.Float(), nullable=True),
        sa.Column("sentence", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("host", "metric", name=op.f("pk_failure_forecasts")),
    )
    op.create_index(
        op.f("ix_failure_forecasts_failure_at"), "failure_forecasts", ["failure_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_failure_forecasts_failure_at"), table_name="failure_forecasts")
    op.drop_table("failure_forecasts")
    op.drop_index(op.f("ix_anomalies_score"), table_name="anomalies")
    op.drop_index(op.f("ix_anomalies_host"), table_name="anomalies")
    op.drop_index(op.f("ix_anomalies_ds"), table_name="anomalies")
    op.drop_table("anomalies")
    op.drop_index(op.f("ix_ingest_batches_stored_at"), table_name="ingest_batches")
    op.drop_table("ingest_batches")
