"""request_photos: a photo sent while ordering is attached to the request; outbox.forward:
a row that forwards a message (the photo, to the volunteer holding the request)

Revision ID: 0014_request_photos
Revises: 0013_routing_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_request_photos"
down_revision = "0013_routing_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "request_photos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.String(length=200), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_request_photos_person_id_persons")),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"], name=op.f("fk_request_photos_request_id_requests")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_request_photos")),
    )
    op.create_index(op.f("ix_request_photos_request_id"), "request_photos", ["request_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("forward", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("forward")
    op.drop_index(op.f("ix_request_photos_request_id"), table_name="request_photos")
    op.drop_table("request_photos")
