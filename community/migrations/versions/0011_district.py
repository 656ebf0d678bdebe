"""A district in one deployment: districts (街道/区), communities.district_id, supervisors
(督查), district_warnings (自动预警, one per community, kind and day) and a unique key for the
daily district check follow-up

Revision ID: 0011_district
Revises: 0011_faq
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_district"
down_revision = "0011_faq"
branch_labels = None
depends_on = None

DISTRICT_CHECK = sa.text("kind = 'district_check'")


def upgrade() -> None:
    op.create_table(
        "districts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_districts")),
        sa.UniqueConstraint("code", name=op.f("uq_districts_code")),
    )
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_communities_district_id"), ["district_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_communities_district_id_districts"), "districts", ["district_id"], ["id"]
        )
    op.create_table(
        "supervisors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["districts.id"], name=op.f("fk_supervisors_district_id_districts")),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_supervisors_person_id_persons")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervisors")),
        sa.UniqueConstraint("person_id", name=op.f("uq_supervisors_person_id")),
    )
    op.create_index(op.f("ix_supervisors_district_id"), "supervisors", ["district_id"], unique=False)
    op.create_table(
        "district_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_district_warnings_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["district_id"], ["districts.id"], name=op.f("fk_district_warnings_district_id_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_district_warnings")),
        sa.UniqueConstraint("community_id", "kind", "day", name=op.f("uq_district_warnings_community_id")),
    )
    op.create_index(op.f("ix_district_warnings_district_id"), "district_warnings", ["district_id"], unique=False)
    op.create_index(
        "uq_followups_district_check",
        "followups",
        ["community_id", "due_at"],
        unique=True,
        sqlite_where=DISTRICT_CHECK,
        postgresql_where=DISTRICT_CHECK,
    )


def downgrade() -> None:
    op.drop_index("uq_followups_district_check", table_name="followups")
    op.drop_index(op.f("ix_district_warnings_district_id"), table_name="district_warnings")
    op.drop_table("district_warnings")
    op.drop_index(op.f("ix_supervisors_district_id"), table_name="supervisors")
    op.drop_table("supervisors")
    with op.batch_alter_table("communities", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_communities_district_id_districts"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_communities_district_id"))
        batch_op.drop_column("district_id")
    op.drop_table("districts")
