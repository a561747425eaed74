"""round_tally, round_turnaround, community_people: a testing round's figures and the register's persons per
community, kept by the writes that change them, so /testing/progress reads them on its first visit (issue 25);
filled here from the stored samples, results and persons (the same counts as testing/progress.py).

Revision ID: 0026_round_tally
Revises: 0025_case_lake_versions
"""
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from alembic import op

from fangkong.db.core import UTCDateTime

revision = "0026_round_tally"
down_revision = "0025_case_lake_versions"
branch_labels = None
depends_on = None

_REACTIVE = "('positive', 'suspected', 'weak_positive')"
# progress.sample_figures grouped by point ('p') and by the sampled person's community ('c'), as of this revision
_FILL = """
INSERT INTO round_tally (round_fk, dim, key, sampled, tubes, results_in, reactive_tubes, reactive_people)
SELECT s.round_fk, '{dim}', coalesce({col}, ''), count(DISTINCT s.person_fk), count(DISTINCT s.tube_fk),
       count(DISTINCT CASE WHEN lr.tube_fk IS NOT NULL THEN s.person_fk END),
       count(DISTINCT CASE WHEN lr.result IN {reactive} THEN s.tube_fk END),
       count(DISTINCT CASE WHEN lr.result IN {reactive} THEN s.person_fk END)
FROM sample s JOIN person p ON p.id = s.person_fk LEFT JOIN lab_result lr ON lr.tube_fk = s.tube_fk
WHERE s.round_fk IS NOT NULL GROUP BY s.round_fk, coalesce({col}, '')
"""
_STAGES = (("ship", "t.sampled_at", "lr.received_at"), ("test", "lr.received_at", "lr.tested_at"),
           ("report", "lr.tested_at", "lr.reported_at"), ("total", "t.sampled_at", "lr.reported_at"))


def _seconds(dialect: str, a: str, b: str) -> str:
    if dialect == "postgresql":
        return f"extract(epoch FROM {b} - {a})"
    return f"(julianday({b}) - julianday({a})) * 86400.0"


def _turnaround(conn, round_fk: int) -> list[dict]:
    """progress.turnaround of one round, as of this revision."""
    d = conn.dialect.name
    q = (f"SELECT coalesce(l.lab_id, ''), {', '.join(_seconds(d, a, b) for _, a, b in _STAGES)} "
         "FROM lab_result lr JOIN tube t ON t.id = lr.tube_fk LEFT JOIN lab l ON l.id = lr.lab_fk "
         "WHERE t.round_fk = :r")
    per_lab: dict[str, list] = {}
    for row in conn.execute(sa.text(q), {"r": round_fk}):
        per_lab.setdefault(row[0], []).append([None if v is None else float(v) for v in row[1:]])
    out = []
    for lab, values in sorted(per_lab.items()):
        arr = np.array(values, dtype=float) / 3600.0
        for i, (stage, _, _) in enumerate(_STAGES):
            col = arr[:, i][~np.isnan(arr[:, i])]
            if col.size:
                p50, p90, p99 = np.percentile(col, [50, 90, 99])
                out.append({"lab_id": lab or None, "stage": stage, "count": int(col.size), "p50_h": round(float(p50), 3),
                            "p90_h": round(float(p90), 3), "p99_h": round(float(p99), 3),
                            "max_h": round(float(col.max()), 3)})
    return out


def upgrade() -> None:
    op.create_table(
        "community_people",
        sa.Column("community", sa.String(length=32), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("community", name=op.f("pk_community_people")),
    )
    op.create_table(
        "round_tally",
        sa.Column("round_fk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("dim", sa.String(length=1), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("sampled", sa.Integer(), nullable=False),
        sa.Column("tubes", sa.Integer(), nullable=False),
        sa.Column("results_in", sa.Integer(), nullable=False),
        sa.Column("reactive_tubes", sa.Integer(), nullable=False),
        sa.Column("reactive_people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("round_fk", "dim", "key", name=op.f("pk_round_tally")),
    )
    round_turnaround = op.create_table(
        "round_turnaround",
        sa.Column("round_fk", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("counted_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("round_fk", name=op.f("pk_round_turnaround")),
    )
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.create_index("ix_sample_round_point", ["round_fk", "point_id"], unique=False)

    conn = op.get_bind()
    conn.execute(sa.text("INSERT INTO community_people (community, people) SELECT coalesce(community, ''), count(*) "
                         "FROM person GROUP BY coalesce(community, '')"))
    conn.execute(sa.text(_FILL.format(dim="p", col="s.point_id", reactive=_REACTIVE)))
    conn.execute(sa.text(_FILL.format(dim="c", col="p.community", reactive=_REACTIVE)))
    at = datetime.now(UTC)
    rows = [{"round_fk": r, "figures": _turnaround(conn, r), "counted_at": at}
            for r in conn.execute(sa.text("SELECT id FROM testing_round ORDER BY id")).scalars()]
    if rows:
        op.bulk_insert(round_turnaround, rows)


def downgrade() -> None:
    with op.batch_alter_table("sample", schema=None) as batch_op:
        batch_op.drop_index("ix_sample_round_point")
    op.drop_table("round_turnaround")
    op.drop_table("round_tally")
    op.drop_table("community_people")
