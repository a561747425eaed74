"""testing, bulk path: a lab result is keyed by its tube; no per-row foreign-key checks on lab_result.lab_fk and
sample.round_fk (both checked by the import); no indexes on lab_result.result, .lab_fk, .reported_at. A
million-row insert spent most of its time on those (bench/lab_import.py)

Revision ID: 0002_testing_b
Revises: 0002_testing
"""
import sqlalchemy as sa
from alembic import op

revision = '0002_testing_b'
down_revision = '0002_testing'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lab_result', schema=None) as batch_op:
        batch_op.drop_constraint('fk_lab_result_lab_fk_lab', type_='foreignkey')
        batch_op.drop_index('ix_lab_result_result')
        batch_op.drop_index('ix_lab_result_lab_fk')
        batch_op.drop_index('ix_lab_result_reported_at')
        batch_op.drop_constraint('uq_lab_result_tube_fk', type_='unique')
        batch_op.drop_constraint('pk_lab_result', type_='primary')
        batch_op.drop_column('id')
        batch_op.create_primary_key('pk_lab_result', ['tube_fk'])
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.drop_constraint('fk_sample_round_fk_testing_round', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('sample', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_sample_round_fk_testing_round', 'testing_round', ['round_fk'], ['id'])
    with op.batch_alter_table('lab_result', schema=None) as batch_op:
        batch_op.drop_constraint('pk_lab_result', type_='primary')
        batch_op.add_column(sa.Column('id', sa.Integer(), autoincrement=True, nullable=True))
        batch_op.create_unique_constraint('uq_lab_result_tube_fk', ['tube_fk'])
        batch_op.create_index('ix_lab_result_reported_at', ['reported_at'], unique=False)
        batch_op.create_index('ix_lab_result_lab_fk', ['lab_fk'], unique=False)
        batch_op.create_index('ix_lab_result_result', ['result'], unique=False)
        batch_op.create_foreign_key('fk_lab_result_lab_fk_lab', 'lab', ['lab_fk'], ['id'])
