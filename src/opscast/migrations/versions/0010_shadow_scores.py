"""shadow scores of champion and challenger

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shadow_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task", sa.String(length=200), nullable=False),
        sa.Column("alias", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("unique_id", sa.String(length=200), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("predicted", sa.Float(), nullable=False),
        sa.Column("actual", sa.Float(), nullable=True),
        sa.Column("abs_error", sa.Float(), nullable=True),
        sa.Column("predicted_at", sa.DateTime(), nullable=False),
        sa.Column("settled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_scores")),
        sa.UniqueConstraint(
            "task",
            "version",
            "unique_id",
            "period_start",
            name=op.f("uq_shadow_scores_task"),
        ),
    )
    op.create_index(op.f("ix_shadow_scores_task"), "shadow_scores", ["task"], unique=False)
    op.create_index(
        op.f("ix_shadow_scores_unique_id"), "shadow_scores", ["unique_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_shadow_scores_unique_id"), table_name="shadow_scores")
    op.drop_index(op.f("ix_shadow_scores_task"), table_name="shadow_scores")
    op.drop_table("shadow_scores")
