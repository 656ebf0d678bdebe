"""volunteers.max_load nullable (NULL: the DEFAULT_MAX_LOAD setting), volunteers.work_unit
(工作单位) and leaderboard_opt_out, certificates (志愿服务证明), a unique key for the
month-end summary follow-up, and an index on ledger.at (a month's hours are a range of it)

Revision ID: 0010
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0008"
branch_labels = None
depends_on = None

MONTH_SUMMARY = sa.text("kind = 'month_summary'")
OLD_DEFAULT = 3  # what every row without a spreadsheet value was given


def upgrade() -> None:
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.alter_column("max_load", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("work_unit", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("leaderboard_opt_out", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Rows holding the old hard default follow the setting from now on (whose default is
    # the same 3); the next `python -m community load` sets every spreadsheet value again.
    op.execute(sa.text(f"UPDATE volunteers SET max_load = NULL WHERE max_load = {OLD_DEFAULT}"))
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_name", sa.String(length=50), nullable=False),
        sa.Column("period_start", sa.DateTime(), nullable=False),
        sa.Column("period_end", sa.DateTime(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("services", sa.Integer(), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("issued_by_person_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["community_id"], ["communities.id"], name=op.f("fk_certificates_community_id_communities")
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_person_id"], ["persons.id"], name=op.f("fk_certificates_issued_by_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"], ["volunteers.id"], name=op.f("fk_certificates_volunteer_id_volunteers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
    )
    op.create_index(op.f("ix_certificates_volunteer_id"), "certificates", ["volunteer_id"], unique=False)
    op.create_index(op.f("ix_ledger_at"), "ledger", ["at"], unique=False)
    op.create_index(
        "uq_followups_month_summary",
        "followups",
        ["community_id", "due_at"],
        unique=True,
        sqlite_where=MONTH_SUMMARY,
        postgresql_where=MONTH_SUMMARY,
    )


def downgrade() -> None:
    op.drop_index("uq_followups_month_summary", table_name="followups")
    op.drop_index(op.f("ix_ledger_at"), table_name="ledger")
    op.drop_index(op.f("ix_certificates_volunteer_id"), table_name="certificates")
    op.drop_table("certificates")
    op.execute(sa.text(f"UPDATE volunteers SET max_load = {OLD_DEFAULT} WHERE max_load IS NULL"))
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_column("leaderboard_opt_out")
        batch_op.drop_column("work_unit")
        batch_op.alter_column("max_load", existing_type=sa.Integer(), nullable=False)
