"""identities at the edges: a citizen's account bound to a person, device tokens, one-time codes, the outbox

Revision ID: 0011_ident
Revises: 0010_risk_person_children_index
"""
import sqlalchemy as sa
from alembic import op

import fangkong.db.core

revision = "0011_ident"
down_revision = "0010_risk_person_children_index"
branch_labels = None
depends_on = None

_TS = fangkong.db.core.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("person_fk", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_app_user_person_fk_person"), "person", ["person_fk"], ["id"])
        batch_op.create_index(batch_op.f("ix_app_user_person_fk"), ["person_fk"], unique=False)
    op.create_table(
        "device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("venue_fk", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=100), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked_at", _TS, nullable=True),
        sa.Column("revoked_by", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(["venue_fk"], ["venue.id"], name=op.f("fk_device_venue_fk_venue")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("device_id", name=op.f("uq_device_device_id")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_token_hash")),
    )
    op.create_index(op.f("ix_device_venue_fk"), "device", ["venue_fk"], unique=False)
    op.create_table(
        "citizen_otp",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone_hash", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("person_fk", sa.Integer(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("spent_at", _TS, nullable=True),
        sa.ForeignKeyConstraint(["person_fk"], ["person.id"], name=op.f("fk_citizen_otp_person_fk_person")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_otp")),
    )
    op.create_index(op.f("ix_citizen_otp_phone_hash"), "citizen_otp", ["phone_hash"], unique=False)
    op.create_index(op.f("ix_citizen_otp_created_at"), "citizen_otp", ["created_at"], unique=False)
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("sent_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index(op.f("ix_outbox_message_recipient"), "outbox_message", ["recipient"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_message_recipient"), table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index(op.f("ix_citizen_otp_created_at"), table_name="citizen_otp")
    op.drop_index(op.f("ix_citizen_otp_phone_hash"), table_name="citizen_otp")
    op.drop_table("citizen_otp")
    op.drop_index(op.f("ix_device_venue_fk"), table_name="device")
    op.drop_table("device")
    with op.batch_alter_table("app_user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_app_user_person_fk"))
        batch_op.drop_constraint(batch_op.f("fk_app_user_person_fk_person"), type_="foreignkey")
        batch_op.drop_column("person_fk")
