"""Index the catalog's update time: the service's read model asks for its newest value every
few seconds to learn whether the catalog changed (an index lookup instead of a scan of
250,000 rows).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_camera_updated_at"), "camera", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_camera_updated_at"), table_name="camera")
