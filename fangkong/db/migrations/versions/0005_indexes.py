"""Index for "the active measure of a person" (board and codes).

Revision ID: 0005_indexes
Revises: 0001
"""
from alembic import op

revision = "0005_indexes"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_measure_person_status", "measure", ["person_fk", "status"])


def downgrade() -> None:
    op.drop_index("ix_measure_person_status", table_name="measure")
