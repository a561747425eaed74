"""assist_person.last_exposure_at: the last exposure an inbound assistance request (协查) states; the measure of
the stated category counts its period from it (issue 23, reproduction 10).

Revision ID: 0014_assist_exposure
Revises: 0013_one_head
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0014_assist_exposure"
down_revision = "0013_one_head"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assist_person") as batch:
        batch.add_column(sa.Column("last_exposure_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assist_person") as batch:
        batch.drop_column("last_exposure_at")
