"""Analytics: subscriptions, per-minute counts, events, webhooks and their deliveries.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _camera_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["device_id"], ["camera.device_id"],
                                   name=op.f(f"fk_{table}_device_id_camera"))


def upgrade() -> None:
    op.create_table(
        "analytics_subscription",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("zones", sa.JSON(), nullable=False),
        sa.Column("sample_rate_fps", sa.Float(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _camera_fk("analytics_subscription"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_subscription")),
    )
    op.create_index(op.f("ix_analytics_subscription_device_id"), "analytics_subscription",
                    ["device_id"])
    op.create_table(
        "count_minute",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("minute", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("region_id", sa.Text(), nullable=False),
        sa.Column("class_name", sa.Text(), nullable=False),
        sa.Column("in_count", sa.Integer(), nullable=False),
        sa.Column("out_count", sa.Integer(), nullable=False),
        sa.Column("occupancy_max", sa.Integer()),
        sa.Column("occupancy_mean", sa.Float()),
        sa.Column("dwell_s_mean", sa.Float()),
        sa.Column("dwell_s_max", sa.Float()),
        _camera_fk("count_minute"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_count_minute")),
        sa.UniqueConstraint("device_id", "minute", "kind", "region_id", "class_name",
                            name="uq_count_minute_key"),
    )
    op.create_index("ix_count_minute_minute", "count_minute", ["minute"])
    op.create_table(
        "analytics_event",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("region_id", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("peak", sa.Float(), nullable=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("class_names", sa.JSON(), nullable=False),
        sa.Column("track_ids", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("snapshot_jpeg", sa.LargeBinary()),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        _camera_fk("analytics_event"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_event")),
        sa.UniqueConstraint("device_id", "kind", "region_id", "started_at",
                            name="uq_analytics_event_key"),
    )
    op.create_index("ix_analytics_event_started_at", "analytics_event", ["started_at"])
    op.create_table(
        "webhook",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("event_kinds", sa.JSON(), nullable=False),
        sa.Column("scopes", sa.JSON(), nullable=False),
        sa.Column("scope_prefixes", sa.JSON()),
        sa.Column("maintenance_unit", sa.Text()),
        sa.Column("department", sa.Text()),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook")),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("webhook_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["event_id"], ["analytics_event.id"],
                                name=op.f("fk_webhook_delivery_event_id_analytics_event")),
        sa.ForeignKeyConstraint(["webhook_id"], ["webhook.id"],
                                name=op.f("fk_webhook_delivery_webhook_id_webhook")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_delivery")),
        sa.UniqueConstraint("event_id", "webhook_id", name="uq_webhook_delivery_event_webhook"),
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery",
                    ["status", "next_attempt_at"])
    op.create_index(op.f("ix_webhook_delivery_webhook_id"), "webhook_delivery", ["webhook_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_delivery_webhook_id"), table_name="webhook_delivery")
    op.drop_index("ix_webhook_delivery_due", table_name="webhook_delivery")
    op.drop_table("webhook_delivery")
    op.drop_table("webhook")
    op.drop_index("ix_analytics_event_started_at", table_name="analytics_event")
    op.drop_table("analytics_event")
    op.drop_index("ix_count_minute_minute", table_name="count_minute")
    op.drop_table("count_minute")
    op.drop_index(op.f("ix_analytics_subscription_device_id"),
                  table_name="analytics_subscription")
    op.drop_table("analytics_subscription")
