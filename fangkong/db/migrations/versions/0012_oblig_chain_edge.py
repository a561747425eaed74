"""chain_edge: a declared case met by another case's trace is a transmission-chain edge, never a risk person
(issue 23: the index case of C000001 was traced as a close contact of C000002 and given a measure, a room, a
transfer task and a door check).

Revision ID: 0012_oblig_chain
Revises: 0011_oblig
"""
import sqlalchemy as sa
from alembic import op

import fangkong.db.core
from fangkong.db.core import UTCDateTime

revision = "0012_oblig_chain"
down_revision = "0011_oblig"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chain_edge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_fk", sa.Integer(), nullable=False),
        sa.Column("target_case_fk", sa.Integer(), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("evidence", fangkong.db.core.JSONType(), nullable=False),
        sa.Column("last_exposure_at", UTCDateTime(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["case_fk"], ["case.id"], name="fk_chain_edge_case_fk_case"),
        sa.ForeignKeyConstraint(["target_case_fk"], ["case.id"], name="fk_chain_edge_target_case_fk_case"),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name="fk_chain_edge_person_fk_person"),
        sa.PrimaryKeyConstraint("id", name="pk_chain_edge"),
        sa.UniqueConstraint("case_fk", "target_case_fk", name="uq_chain_edge_case_target"),
    )
    op.create_index("ix_chain_edge_target_case_fk", "chain_edge", ["target_case_fk"])
    op.create_index("ix_chain_edge_person_fk", "chain_edge", ["person_fk"])


def downgrade() -> None:
    op.drop_table("chain_edge")
