"""risk_person: drop the index on case_fk alone; the unique (case_fk, who) index serves every look-up by case
(its leading column), and a bad day writes millions of risk persons, each row one B-tree fewer to update.

Revision ID: 0008_risk_person_case_index
Revises: 0004_risk_management
"""
from alembic import op

revision = "0008_risk_person_case_index"
down_revision = "0004_risk_management"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_risk_person_case_fk", table_name="risk_person")


def downgrade() -> None:
    op.create_index("ix_risk_person_case_fk", "risk_person", ["case_fk"])
