"""zone_absence: a resident not tested in a zone's round of a day, accounted for with a reason (issue 23: a
lifting round must cover the zone's residents, each tested or accounted for).

Revision ID: 0016_zone_absence
Revises: 0015_inbound
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0016_zone_absence"
down_revision = "0015_inbound"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zone_absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone_fk", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(["zone_fk"], ["zone.id"], name="fk_zone_absence_zone_fk_zone", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name="fk_zone_absence_person_fk_person"),
        sa.PrimaryKeyConstraint("id", name="pk_zone_absence"),
        sa.UniqueConstraint("zone_fk", "day", "person_fk", name="uq_zone_absence_zone_day_person"),
    )
    op.create_index("ix_zone_absence_zone_fk", "zone_absence", ["zone_fk"])
    op.create_index("ix_zone_absence_person_fk", "zone_absence", ["person_fk"])


def downgrade() -> None:
    op.drop_table("zone_absence")
