"""Evidence of picture faults: measured value, threshold and a downscaled JPEG.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "probe_evidence",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("measured", sa.Float()),
        sa.Column("threshold", sa.Float()),
        sa.Column("snapshot_jpeg", sa.LargeBinary()),
        sa.ForeignKeyConstraint(["sweep_id"], ["sweep.id"],
                                name=op.f("fk_probe_evidence_sweep_id_sweep")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_evidence")),
    )
    op.create_index(op.f("ix_probe_evidence_device_id"), "probe_evidence", ["device_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_probe_evidence_device_id"), table_name="probe_evidence")
    op.drop_table("probe_evidence")
