"""issued_bulletin: each day's bulletin kept as issued, a correction a new version (issue 23)

Revision ID: 0011_asof_bulletins
Revises: 0010_risk_person_children_index
"""
import sqlalchemy as sa
from alembic import op

import fangkong.db.core

revision = "0011_asof_bulletins"
down_revision = "0010_risk_person_children_index"
branch_labels = None
depends_on = None

_TS = fangkong.db.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "issued_bulletin",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("jurisdiction", sa.String(length=12), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("issued_at", _TS, nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_bulletin")),
        sa.UniqueConstraint("jurisdiction", "day", "version", name="uq_issued_bulletin_day_version"),
    )
    op.create_index(op.f("ix_issued_bulletin_day"), "issued_bulletin", ["day"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_issued_bulletin_day"), table_name="issued_bulletin")
    op.drop_table("issued_bulletin")
