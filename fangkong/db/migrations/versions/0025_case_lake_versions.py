"""case_lake_versions: the lake's version of each table the case's last trace read, with its commit time
(issue 28, time travel: the case page states it, `fangkong trace --as-of-version` reads it again).

Revision ID: 0025_case_lake_versions
Revises: 0024_user_contacts
"""
import sqlalchemy as sa
from alembic import op

revision = "0025_case_lake_versions"
down_revision = "0024_user_contacts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lake_versions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("lake_versions")
