"""risk_person_past: the versions of risk persons a re-trace (or an override) ended, so that an earlier day's
bulletin counted again counts what was known then (issue 23).

Revision ID: 0017_risk_person_past
Revises: 0016_zone_absence
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0017_risk_person_past"
down_revision = "0016_zone_absence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risk_person_past",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_fk", sa.Integer(), nullable=False),
        sa.Column("who", sa.String(80), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("valid_from", UTCDateTime(), nullable=False),
        sa.Column("until_at", UTCDateTime(), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.ForeignKeyConstraint(["case_fk"], ["case.id"], name="fk_risk_person_past_case_fk_case", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name="fk_risk_person_past_person_fk_person"),
        sa.PrimaryKeyConstraint("id", name="pk_risk_person_past"),
    )
    op.create_index("ix_risk_person_past_case_who", "risk_person_past", ["case_fk", "who"])
    op.create_index("ix_risk_person_past_person_fk", "risk_person_past", ["person_fk"])


def downgrade() -> None:
    op.drop_table("risk_person_past")
