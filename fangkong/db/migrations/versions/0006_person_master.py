"""person master: further source keys, phones with validity, match reviews, merges

Revision ID: 0006_person_master
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import fangkong.db.core

revision = "0006_person_master"
down_revision = "0001"
branch_labels = None
depends_on = None

_TS = fangkong.db.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("person", sa.Column("source", sa.String(length=40), nullable=True))
    op.create_table(
        "person_source_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("linked_by", sa.String(length=20), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name=op.f("fk_person_source_key_person_fk_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_source_key")),
        sa.UniqueConstraint("key", name=op.f("uq_person_source_key_key")),
    )
    op.create_index(op.f("ix_person_source_key_person_fk"), "person_source_key", ["person_fk"])
    op.create_table(
        "person_phone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=11), nullable=False),
        sa.Column("owner", sa.Boolean(), nullable=False),
        sa.Column("valid_from", _TS, nullable=True),
        sa.Column("valid_to", _TS, nullable=True),
        sa.Column("source", sa.String(length=80), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name=op.f("fk_person_phone_person_fk_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_phone")),
    )
    op.create_index(op.f("ix_person_phone_person_fk"), "person_phone", ["person_fk"])
    op.create_index(op.f("ix_person_phone_phone"), "person_phone", ["phone"])
    op.create_table(
        "match_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=True),
        sa.Column("candidate_fk", sa.Integer(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name=op.f("fk_match_review_person_fk_person")),
        sa.ForeignKeyConstraint(["candidate_fk"], ["person.id"], name=op.f("fk_match_review_candidate_fk_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_review")),
    )
    for col in ("key", "person_fk", "candidate_fk", "status"):
        op.create_index(op.f(f"ix_match_review_{col}"), "match_review", [col])
    op.create_table(
        "person_merge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survivor_id", sa.Integer(), nullable=False),
        sa.Column("survivor_person_id", sa.String(length=64), nullable=False),
        sa.Column("merged_id", sa.Integer(), nullable=False),
        sa.Column("merged_person_id", sa.String(length=64), nullable=False),
        sa.Column("merged_row", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.Column("set_aside", sa.JSON(), nullable=False),
        sa.Column("review_fk", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("undone_at", _TS, nullable=True),
        sa.Column("undone_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_merge")),
    )
    for col in ("survivor_id", "merged_id", "merged_person_id"):
        op.create_index(op.f(f"ix_person_merge_{col}"), "person_merge", [col])


def downgrade() -> None:
    op.drop_table("person_merge")
    op.drop_table("match_review")
    op.drop_table("person_phone")
    op.drop_table("person_source_key")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("source")
