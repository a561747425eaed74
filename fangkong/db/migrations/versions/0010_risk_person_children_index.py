"""measure and task: an index on risk_person_fk. Re-tracing a case deletes its risk persons, and each deleted row
sets the measures and tasks that name it to NULL (ON DELETE SET NULL): without an index the database scanned both
tables once per deleted row. Re-tracing a case of the 1 M synthetic city (29 503 risk persons, 29 507 door-check
tasks) took 181 s; the trace itself 1 s.

Revision ID: 0010_risk_person_children_index
Revises: 0008_risk_person_case_index
"""
from alembic import op

revision = "0010_risk_person_children_index"
down_revision = "0008_risk_person_case_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_measure_risk_person_fk", "measure", ["risk_person_fk"])
    op.create_index("ix_task_risk_person_fk", "task", ["risk_person_fk"])


def downgrade() -> None:
    op.drop_index("ix_task_risk_person_fk", table_name="task")
    op.drop_index("ix_measure_risk_person_fk", table_name="measure")
