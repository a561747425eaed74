"""risk_person and measure: a version column for optimistic locking (two edits from one read: one wins,
the other gets 409, never a mixed row). Existing rows start at 1.

Revision ID: 0012_holes_versions
Revises: 0011_holes
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_holes_versions"
down_revision = "0011_holes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("risk_person", "measure"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    for table in ("risk_person", "measure"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("version")
