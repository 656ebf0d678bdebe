"""events.channel (where an action was taken: chat, web, cli, open311, system) for the audit
log; persons.telegram_blocked_at (Telegram answered 403)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", sa.String(length=10), nullable=True))
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.add_column(sa.Column("telegram_blocked_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("persons", schema=None) as batch_op:
        batch_op.drop_column("telegram_blocked_at")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("channel")
