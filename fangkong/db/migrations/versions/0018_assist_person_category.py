"""assist_person: the risk category stated per person (it travelled in the free-text note), and the issuer's
withdrawal of one person of a request (issue 23).

Revision ID: 0018_assist_person_category
Revises: 0017_risk_person_past
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0018_assist_person_category"
down_revision = "0017_risk_person_past"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assist_person") as batch:
        batch.add_column(sa.Column("category", sa.String(20), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("withdrawn_reason", sa.String(500), nullable=True))
    # outbound rows carried the category in the note
    op.execute("UPDATE assist_person SET category = note, note = NULL "
               "WHERE note IN ('close', 'secondary', 'companion', 'overlap') "
               "AND request_fk IN (SELECT id FROM assist_request WHERE direction = 'outbound')")


def downgrade() -> None:
    with op.batch_alter_table("assist_person") as batch:
        batch.drop_column("withdrawn_reason")
        batch.drop_column("withdrawn_at")
        batch.drop_column("category")
