"""Routing indexes: volunteers by (grid, load, recent rating, id) and (building, load, recent
rating, id), the order within a routing tier, so a tier query stops at its top 5

Revision ID: 0013_routing_indexes
Revises: 0011_district
"""

import sqlalchemy as sa
from alembic import op

revision = "0013_routing_indexes"
down_revision = "0011_district"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name, first in (("ix_volunteers_grid_rank", "grid_id"), ("ix_volunteers_building_rank", "building_id")):
        op.create_index(name, "volunteers", [first, "active_load", sa.text("rating_recent DESC"), "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_volunteers_building_rank", table_name="volunteers")
    op.drop_index("ix_volunteers_grid_rank", table_name="volunteers")
