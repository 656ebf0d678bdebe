"""requests.asap: the resident said 尽快, and cards say 尽快 (not 时间可商量)

Revision ID: 0012_handoff_asap
Revises: 0011_delivery
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_handoff_asap"
down_revision = "0011_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asap", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("asap")
