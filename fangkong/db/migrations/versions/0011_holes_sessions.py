"""auth: server-side page sessions (logout ends a session at once) and the last use of each API token

Revision ID: 0011_holes
Revises: 0010_risk_person_children_index
"""
import sqlalchemy as sa
from alembic import op

import fangkong.db.core

revision = "0011_holes"
down_revision = "0010_risk_person_children_index"
branch_labels = None
depends_on = None

_TS = fangkong.db.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "auth_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sa.String(length=64), nullable=False),
        sa.Column("user_fk", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["user_fk"], ["app_user.id"], name=op.f("fk_auth_session_user_fk_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_session")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_auth_session_session_hash")),
    )
    op.create_index(op.f("ix_auth_session_user_fk"), "auth_session", ["user_fk"], unique=False)
    with op.batch_alter_table("api_token") as batch:
        batch.add_column(sa.Column("last_used_at", _TS, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_token") as batch:
        batch.drop_column("last_used_at")
    op.drop_index(op.f("ix_auth_session_user_fk"), table_name="auth_session")
    op.drop_table("auth_session")
