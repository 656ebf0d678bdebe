"""The information desk: the office's address, hours, phone and map link on communities
(community.csv), faq_entries (faq.csv) and faq_misses (questions it could not answer)

Revision ID: 0011_faq
Revises: 0012_handoff_asap
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_faq"
down_revision = "0012_handoff_asap"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("office_address", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("office_hours", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("office_phone", sa.String(length=30), nullable=True))
        batch_op.add_column(sa.Column("office_map_url", sa.String(length=500), nullable=True))
    op.create_table(
        "faq_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=30), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_faq_entries_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_entries")),
        sa.UniqueConstraint("community_id", "key", name=op.f("uq_faq_entries_community_id")),
    )
    op.create_index(op.f("ix_faq_entries_community_id"), "faq_entries", ["community_id"], unique=False)
    op.create_table(
        "faq_misses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_faq_misses_community_id_communities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_faq_misses")),
    )
    op.create_index("ix_faq_misses_community_at", "faq_misses", ["community_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_faq_misses_community_at", table_name="faq_misses")
    op.drop_table("faq_misses")
    op.drop_index(op.f("ix_faq_entries_community_id"), table_name="faq_entries")
    op.drop_table("faq_entries")
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_column("office_map_url")
        batch_op.drop_column("office_phone")
        batch_op.drop_column("office_hours")
        batch_op.drop_column("office_address")
