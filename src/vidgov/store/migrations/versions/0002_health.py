"""Sweeps, probe results, each camera's latest health, daily roll-ups.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sweep",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sweep")),
    )
    op.create_table(
        "probe_result",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("playable", sa.Boolean(), nullable=False),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("timings_ms", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["sweep_id"], ["sweep.id"],
                                name=op.f("fk_probe_result_sweep_id_sweep")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_probe_result")),
        sa.UniqueConstraint("sweep_id", "device_id", name=op.f("uq_probe_result_sweep_id")),
    )
    op.create_index(op.f("ix_probe_result_device_id"), "probe_result", ["device_id"])
    op.create_table(
        "camera_health",
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("probed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("playable", sa.Boolean(), nullable=False),
        sa.Column("faults", sa.JSON(), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sweep_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["sweep_id"], ["sweep.id"],
                                name=op.f("fk_camera_health_sweep_id_sweep")),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_camera_health")),
    )
    op.create_table(
        "health_daily",
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("probes", sa.Integer(), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("playable", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "day", name=op.f("pk_health_daily")),
    )


def downgrade() -> None:
    op.drop_table("health_daily")
    op.drop_table("camera_health")
    op.drop_index(op.f("ix_probe_result_device_id"), table_name="probe_result")
    op.drop_table("probe_result")
    op.drop_table("sweep")
