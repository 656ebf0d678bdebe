"""A person on call (转人工): handoffs (who asked, who answered, the relayed messages, the
waiting time), the duty roster (duty_shifts, from duty.csv) and optional building
coordinates (buildings.latitude/longitude, from buildings.csv 纬度/经度)

Revision ID: 0011_handoff
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_handoff"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("resident_person_id", sa.Integer(), nullable=False),
        sa.Column("staff_person_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("connected_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("ended_by_person_id", sa.Integer(), nullable=True),
        sa.Column("transcript", sa.JSON(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_handoffs_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["resident_person_id"], ["persons.id"], name=op.f("fk_handoffs_resident_person_id_persons")
        ),
        sa.ForeignKeyConstraint(["staff_person_id"], ["persons.id"], name=op.f("fk_handoffs_staff_person_id_persons")),
        sa.ForeignKeyConstraint(
            ["ended_by_person_id"], ["persons.id"], name=op.f("fk_handoffs_ended_by_person_id_persons")
        ),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name=op.f("fk_handoffs_request_id_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_handoffs")),
    )
    op.create_index("ix_handoffs_community_state", "handoffs", ["community_id", "state"], unique=False)
    op.create_index(op.f("ix_handoffs_resident_person_id"), "handoffs", ["resident_person_id"], unique=False)
    op.create_index(op.f("ix_handoffs_staff_person_id"), "handoffs", ["staff_person_id"], unique=False)
    op.create_table(
        "duty_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_duty_shifts_community_id_communities")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_duty_shifts_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duty_shifts")),
    )
    op.create_index(op.f("ix_duty_shifts_community_id"), "duty_shifts", ["community_id"], unique=False)
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("latitude", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("longitude", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("buildings", schema=None) as batch_op:
        batch_op.drop_column("longitude")
        batch_op.drop_column("latitude")
    op.drop_index(op.f("ix_duty_shifts_community_id"), table_name="duty_shifts")
    op.drop_table("duty_shifts")
    op.drop_index(op.f("ix_handoffs_staff_person_id"), table_name="handoffs")
    op.drop_index(op.f("ix_handoffs_resident_person_id"), table_name="handoffs")
    op.drop_index("ix_handoffs_community_state", table_name="handoffs")
    op.drop_table("handoffs")
