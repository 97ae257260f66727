"""The camera catalog.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "camera",
        sa.Column("device_id", sa.Text(), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("admin_code", sa.Text()),
        sa.Column("grassroots_code", sa.Text()),
        sa.Column("address", sa.Text()),
        sa.Column("longitude", sa.Float()),
        sa.Column("latitude", sa.Float()),
        sa.Column("department", sa.Text()),
        sa.Column("maintenance_unit", sa.Text()),
        sa.Column("maintenance_contact", sa.Text()),
        sa.Column("point_class", sa.Integer()),
        sa.Column("place_type", sa.Text()),
        sa.Column("manufacturer", sa.Text()),
        sa.Column("model", sa.Text()),
        sa.Column("install_date", sa.Date()),
        sa.Column("stream_url", sa.Text()),
        sa.Column("sub_stream_url", sa.Text()),
        sa.Column("secrecy", sa.Integer()),
        sa.Column("raw_values", sa.JSON()),
        sa.Column("extra", sa.JSON()),
        sa.Column("source", sa.Text()),
        sa.Column("source_line", sa.Integer()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", name=op.f("pk_camera")),
    )
    op.create_index(op.f("ix_camera_admin_code"), "camera", ["admin_code"])


def downgrade() -> None:
    op.drop_index(op.f("ix_camera_admin_code"), table_name="camera")
    op.drop_table("camera")
