"""boundary: jurisdiction boundaries imported from GeoJSON (issue 26: a map with real geography, no internet).

Revision ID: 0023_boundary
Revises: 0022_person_name
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0023_boundary"
down_revision = "0022_person_name"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "boundary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=12), nullable=False),
        sa.Column("level", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("geometry", sa.JSON(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=False),
        sa.Column("min_lat", sa.Float(), nullable=False),
        sa.Column("max_lon", sa.Float(), nullable=False),
        sa.Column("max_lat", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=True),
        sa.Column("imported_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_boundary")),
        sa.UniqueConstraint("code", name=op.f("uq_boundary_code")),
    )
    with op.batch_alter_table("boundary", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_boundary_level"), ["level"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("boundary", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_boundary_level"))
    op.drop_table("boundary")
