"""inbound_arrival: inbound travellers (境外输入 arrivals, 入境人员) and their entry; case.imported: a case declared
imported (issue 23, reproduction 11).

Revision ID: 0015_inbound
Revises: 0014_assist_exposure
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0015_inbound"
down_revision = "0014_assist_exposure"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_arrival",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("from_country", sa.String(100), nullable=False),
        sa.Column("port", sa.String(100), nullable=True),
        sa.Column("flight", sa.String(40), nullable=True),
        sa.Column("entered_at", UTCDateTime(), nullable=False),
        sa.Column("registered_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name="fk_inbound_arrival_person_fk_person"),
        sa.PrimaryKeyConstraint("id", name="pk_inbound_arrival"),
        sa.UniqueConstraint("person_fk", "entered_at", name="uq_inbound_arrival_person_entered_at"),
    )
    op.create_index("ix_inbound_arrival_person_fk", "inbound_arrival", ["person_fk"])
    op.create_index("ix_inbound_arrival_entered_at", "inbound_arrival", ["entered_at"])
    with op.batch_alter_table("case") as batch:
        batch.add_column(sa.Column("imported", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("case") as batch:
        batch.drop_column("imported")
    op.drop_table("inbound_arrival")
