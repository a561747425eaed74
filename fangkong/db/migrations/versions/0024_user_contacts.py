"""user_contacts: a staff user's e-mail, phone (SMS) and webhook, and the tracing team they work in; notifications go
to the responsible users' contacts (issue 27), FANGKONG_NOTIFY_EMAILS when none has one.

Revision ID: 0024_user_contacts
Revises: 0023_boundary
"""
import sqlalchemy as sa
from alembic import op

revision = "0024_user_contacts"
down_revision = "0023_boundary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("webhook", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("team_id", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_column("team_id")
        batch_op.drop_column("webhook")
        batch_op.drop_column("phone")
        batch_op.drop_column("email")
