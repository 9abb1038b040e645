"""bookings.cancel_late: a cancellation after the booking's cancellation deadline

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("bookings", sa.Column("cancel_late", sa.Boolean(), nullable=True))


def downgrade() -> None:
    op.drop_column("bookings", "cancel_late")
