"""Delivery exactly once: outbox rows claimed by one sender with a lease (claimed_by,
lease_until), wall-clock retries (retry_at) and maybe_delivered; a `leases` table (the
getUpdates poller of a token); one pending morning digest per community (unique key)

Revision ID: 0011_delivery
Revises: 0011_handoff
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_delivery"
down_revision = "0011_handoff"
branch_labels = None
depends_on = None

PENDING_DIGEST = sa.text("kind = 'digest' AND status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("maybe_delivered", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index("ix_outbox_status_chat", ["status", "chat_id"], unique=False)
    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_leases")),
    )
    # Two processes starting at once could each plan a digest (check-then-insert): keep the
    # oldest pending one per community before the unique key goes on.
    op.execute(
        sa.text(
            "UPDATE followups SET status = 'cancelled' WHERE kind = 'digest' AND status = 'pending' AND id NOT IN "
            "(SELECT keep FROM (SELECT MIN(id) AS keep FROM followups WHERE kind = 'digest' AND status = 'pending' "
            "GROUP BY community_id) AS oldest)"
        )
    )
    op.create_index(
        "uq_followups_pending_digest",
        "followups",
        ["community_id"],
        unique=True,
        sqlite_where=PENDING_DIGEST,
        postgresql_where=PENDING_DIGEST,
    )


def downgrade() -> None:
    op.drop_index(
        "uq_followups_pending_digest",
        table_name="followups",
        sqlite_where=PENDING_DIGEST,
        postgresql_where=PENDING_DIGEST,
    )
    op.drop_table("leases")
    # Rows in flight go back to pending: the old sender knows no `sending`.
    op.execute(sa.text("UPDATE outbox SET status = 'pending' WHERE status = 'sending'"))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_chat")
        batch_op.drop_column("maybe_delivered")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("lease_until")
        batch_op.drop_column("claimed_by")
