"""outbox_message: kind, subject, de-duplication key, delivery status, attempts and back-off (issue 27:
notifications through webhook, SMTP and SMS channels).

Revision ID: 0021_outbox_delivery
Revises: 0020_inbox_file
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0021_outbox_delivery"
down_revision = "0020_inbox_file"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.add_column(sa.Column("kind", sa.String(30), nullable=False, server_default="otp"))
        batch.add_column(sa.Column("subject", sa.String(200), nullable=True))
        batch.add_column(sa.Column("dedup_key", sa.String(200), nullable=True))
        batch.add_column(sa.Column("status", sa.String(10), nullable=False, server_default="pending"))
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        batch.create_unique_constraint("uq_outbox_message_dedup", ["dedup_key", "channel", "recipient"])
        batch.create_index("ix_outbox_message_status", ["status"])
    op.execute("UPDATE outbox_message SET status = 'sent' WHERE sent_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("outbox_message") as batch:
        batch.drop_index("ix_outbox_message_status")
        batch.drop_constraint("uq_outbox_message_dedup", type_="unique")
        for col in ("last_error", "next_attempt_at", "attempts", "status", "dedup_key", "subject", "kind"):
            batch.drop_column(col)
