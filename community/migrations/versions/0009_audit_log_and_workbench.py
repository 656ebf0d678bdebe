"""The staff workbench: audit_log (staff actions that are not request events),
volunteers.deactivated_at, service_categories.skill_required (专业服务 ranked skill first),
requests.media_url and requests.open311_account_id (Open311)

Revision ID: 0009
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor_person_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("target_person_id", sa.Integer(), nullable=True),
        sa.Column("target_key_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["actor_person_id"], ["persons.id"], name=op.f("fk_audit_log_actor_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_audit_log_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["target_key_id"], ["api_keys.id"], name=op.f("fk_audit_log_target_key_id_api_keys")),
        sa.ForeignKeyConstraint(
            ["target_person_id"], ["persons.id"], name=op.f("fk_audit_log_target_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_community_at", "audit_log", ["community_id", "at"], unique=False)
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("service_categories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("skill_required", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("open311_account_id", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("requests", schema=None) as batch_op:
        batch_op.drop_column("open311_account_id")
        batch_op.drop_column("media_url")
    with op.batch_alter_table("service_categories", schema=None) as batch_op:
        batch_op.drop_column("skill_required")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")
    op.drop_index("ix_audit_log_community_at", table_name="audit_log")
    op.drop_table("audit_log")
