"""measure becomes the obligation record (issue 23): several in force per person, each with its source, the
instant it actually ended (`ended_at`, null while in force), why (`end_reason`), and whether its end needs
results (`needs_results`: a contact's release needs every scheduled test negative, so it never ends by time
alone). `end_at` stays the nominal end. Rows already ended get their nominal end as the best known instant. A test task may re-sample an invalid one
(`resample_of`).

Revision ID: 0011_oblig
Revises: 0010_risk_person_children_index
"""
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0011_oblig"
down_revision = "0010_risk_person_children_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measure") as t:
        t.add_column(sa.Column("source_kind", sa.String(20), nullable=True))
        t.add_column(sa.Column("source_ref", sa.String(64), nullable=True))
        t.add_column(sa.Column("ended_at", UTCDateTime(), nullable=True))
        t.add_column(sa.Column("end_reason", sa.String(20), nullable=True))
        t.add_column(sa.Column("needs_results", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_measure_ended_at", "measure", ["ended_at"])
    with op.batch_alter_table("test_task") as t:
        t.add_column(sa.Column("resample_of", sa.Integer(), nullable=True))
        t.create_foreign_key("fk_test_task_resample_of_test_task", "test_task", ["resample_of"], ["id"])
        t.create_index("ix_test_task_resample_of", ["resample_of"])
    op.execute("UPDATE measure SET ended_at = end_at, end_reason = status WHERE status <> 'active'")
    op.execute("UPDATE measure SET source_kind = 'contact' WHERE risk_person_fk IS NOT NULL")
    op.execute("UPDATE measure SET source_kind = 'zone' WHERE category = 'sealed_resident'")
    op.execute("UPDATE measure SET source_kind = 'tube' WHERE kind = 'temporary_control'")
    op.execute("UPDATE measure SET needs_results = (category <> 'sealed_resident' AND EXISTS "
               "(SELECT 1 FROM test_task WHERE test_task.measure_fk = measure.id))")


def downgrade() -> None:
    with op.batch_alter_table("test_task") as t:
        t.drop_index("ix_test_task_resample_of")
        t.drop_constraint("fk_test_task_resample_of_test_task", type_="foreignkey")
        t.drop_column("resample_of")
    op.drop_index("ix_measure_ended_at", table_name="measure")
    with op.batch_alter_table("measure") as t:
        for c in ("needs_results", "end_reason", "ended_at", "source_ref", "source_kind"):
            t.drop_column(c)
