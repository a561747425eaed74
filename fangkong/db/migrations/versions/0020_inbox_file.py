"""inbox_file: each file taken from an inbox folder, once per content (issue 27).

Revision ID: 0020_inbox_file
Revises: 0019_scheduled_jobs
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0020_inbox_file"
down_revision = "0019_scheduled_jobs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbox_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed", sa.String(30), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("archived_as", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_file"),
        sa.UniqueConstraint("feed", "sha256", name="uq_inbox_file_feed_sha256"),
    )


def downgrade() -> None:
    op.drop_table("inbox_file")
