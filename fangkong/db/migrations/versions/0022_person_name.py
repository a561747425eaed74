"""person_name: an index on person.name, for the people search by name (issue 25: one search box, under 300 ms
at 1 000 000 persons).

Revision ID: 0022_person_name
Revises: 0021_outbox_delivery
"""
from alembic import op

revision = "0022_person_name"
down_revision = "0021_outbox_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_name"), ["name"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_name"))
