"""risk management: tasks against the clock, tracing teams, isolation sites and rooms, hospitals, check-ins

Revision ID: 0004_risk_management
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

import fangkong.db.core

revision = '0004_risk_management'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('hospital',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('hospital_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('jurisdiction', sa.String(length=32), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('designated', sa.Boolean(), nullable=False),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.Column('negative_pressure_beds', sa.Integer(), nullable=False),
    sa.Column('created_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospital')),
    sa.UniqueConstraint('hospital_id', name=op.f('uq_hospital_hospital_id'))
    )
    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hospital_jurisdiction'), ['jurisdiction'], unique=False)

    op.create_table('isolation_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('jurisdiction', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('three_zones_two_channels', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_isolation_site')),
    sa.UniqueConstraint('site_id', name=op.f('uq_isolation_site_site_id'))
    )
    with op.batch_alter_table('isolation_site', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_isolation_site_jurisdiction'), ['jurisdiction'], unique=False)

    op.create_table('tracing_team',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('jurisdiction', sa.String(length=32), nullable=False),
    sa.Column('members', sa.JSON(), nullable=False),
    sa.Column('max_cases', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tracing_team')),
    sa.UniqueConstraint('team_id', name=op.f('uq_tracing_team_team_id'))
    )
    with op.batch_alter_table('tracing_team', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracing_team_jurisdiction'), ['jurisdiction'], unique=False)

    op.create_table('escalation_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('threshold', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=500), nullable=False),
    sa.Column('hospital_fk', sa.Integer(), nullable=True),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['hospital_fk'], ['hospital.id'], name=op.f('fk_escalation_step_hospital_fk_hospital')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_step')),
    sa.UniqueConstraint('threshold', name=op.f('uq_escalation_step_threshold'))
    )
    op.create_table('room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_fk', sa.Integer(), nullable=False),
    sa.Column('room_no', sa.String(length=20), nullable=False),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.Column('in_service', sa.Boolean(), nullable=False),
    sa.Column('household_key', sa.String(length=80), nullable=True),
    sa.Column('occupants', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_fk'], ['isolation_site.id'], name=op.f('fk_room_site_fk_isolation_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room')),
    sa.UniqueConstraint('site_fk', 'room_no', name='uq_room_site_room_no')
    )
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_occupants'), ['occupants'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_site_fk'), ['site_fk'], unique=False)

    op.create_table('site_staff',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_fk', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('phone', sa.String(length=11), nullable=True),
    sa.ForeignKeyConstraint(['site_fk'], ['isolation_site.id'], name=op.f('fk_site_staff_site_fk_isolation_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_staff'))
    )
    with op.batch_alter_table('site_staff', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_staff_site_fk'), ['site_fk'], unique=False)

    op.create_table('hospital_admission',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_fk', sa.Integer(), nullable=False),
    sa.Column('hospital_fk', sa.Integer(), nullable=False),
    sa.Column('negative_pressure', sa.Boolean(), nullable=False),
    sa.Column('admitted_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('discharged_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_fk'], ['case.id'], name=op.f('fk_hospital_admission_case_fk_case')),
    sa.ForeignKeyConstraint(['hospital_fk'], ['hospital.id'], name=op.f('fk_hospital_admission_hospital_fk_hospital')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hospital_admission'))
    )
    with op.batch_alter_table('hospital_admission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hospital_admission_case_fk'), ['case_fk'], unique=False)
        batch_op.create_index(batch_op.f('ix_hospital_admission_discharged_at'), ['discharged_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hospital_admission_hospital_fk'), ['hospital_fk'], unique=False)

    op.create_table('investigation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_fk', sa.Integer(), nullable=False),
    sa.Column('team_fk', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('declared_trajectory', sa.JSON(), nullable=False),
    sa.Column('started_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('assigned_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=True),
    sa.Column('team_due_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('contacts_due_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_fk'], ['case.id'], name=op.f('fk_investigation_case_fk_case')),
    sa.ForeignKeyConstraint(['team_fk'], ['tracing_team.id'], name=op.f('fk_investigation_team_fk_tracing_team')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_investigation')),
    sa.UniqueConstraint('case_fk', name=op.f('uq_investigation_case_fk'))
    )
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_investigation_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_investigation_team_fk'), ['team_fk'], unique=False)

    op.create_table('check_in',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('measure_fk', sa.Integer(), nullable=False),
    sa.Column('person_fk', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('symptoms', sa.JSON(), nullable=False),
    sa.Column('alert', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['measure_fk'], ['measure.id'], name=op.f('fk_check_in_measure_fk_measure')),
    sa.ForeignKeyConstraint(['person_fk'], ['person.id'], name=op.f('fk_check_in_person_fk_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_check_in')),
    sa.UniqueConstraint('measure_fk', 'day', name='uq_check_in_measure_day')
    )
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_check_in_alert'), ['alert'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_day'), ['day'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_measure_fk'), ['measure_fk'], unique=False)
        batch_op.create_index(batch_op.f('ix_check_in_person_fk'), ['person_fk'], unique=False)

    op.create_table('room_stay',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('room_fk', sa.Integer(), nullable=False),
    sa.Column('person_fk', sa.Integer(), nullable=False),
    sa.Column('measure_fk', sa.Integer(), nullable=False),
    sa.Column('assigned_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('arrived_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=True),
    sa.Column('left_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['measure_fk'], ['measure.id'], name=op.f('fk_room_stay_measure_fk_measure')),
    sa.ForeignKeyConstraint(['person_fk'], ['person.id'], name=op.f('fk_room_stay_person_fk_person')),
    sa.ForeignKeyConstraint(['room_fk'], ['room.id'], name=op.f('fk_room_stay_room_fk_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_stay'))
    )
    with op.batch_alter_table('room_stay', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_room_stay_left_at'), ['left_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_stay_measure_fk'), ['measure_fk'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_stay_person_fk'), ['person_fk'], unique=False)
        batch_op.create_index(batch_op.f('ix_room_stay_room_fk'), ['room_fk'], unique=False)

    op.create_table('task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('step', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('jurisdiction', sa.String(length=32), nullable=True),
    sa.Column('owner_kind', sa.String(length=20), nullable=False),
    sa.Column('owner_ref', sa.String(length=64), nullable=False),
    sa.Column('owner_name', sa.String(length=200), nullable=True),
    sa.Column('case_fk', sa.Integer(), nullable=True),
    sa.Column('person_fk', sa.Integer(), nullable=True),
    sa.Column('risk_person_fk', sa.Integer(), nullable=True),
    sa.Column('measure_fk', sa.Integer(), nullable=True),
    sa.Column('parent_fk', sa.Integer(), nullable=True),
    sa.Column('started_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_by', sa.String(length=100), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('created_at', fangkong.db.core.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_fk'], ['case.id'], name=op.f('fk_task_case_fk_case')),
    sa.ForeignKeyConstraint(['measure_fk'], ['measure.id'], name=op.f('fk_task_measure_fk_measure')),
    sa.ForeignKeyConstraint(['parent_fk'], ['task.id'], name=op.f('fk_task_parent_fk_task')),
    sa.ForeignKeyConstraint(['person_fk'], ['person.id'], name=op.f('fk_task_person_fk_person')),
    sa.ForeignKeyConstraint(['risk_person_fk'], ['risk_person.id'], name=op.f('fk_task_risk_person_fk_risk_person'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_task'))
    )
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_task_case_fk'), ['case_fk'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_jurisdiction'), ['jurisdiction'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_measure_fk'), ['measure_fk'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_owner_ref'), ['owner_ref'], unique=False)
        batch_op.create_index(batch_op.f('ix_task_person_fk'), ['person_fk'], unique=False)
        batch_op.create_index('ix_task_status_due_at', ['status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_due_at')
        batch_op.drop_index(batch_op.f('ix_task_person_fk'))
        batch_op.drop_index(batch_op.f('ix_task_owner_ref'))
        batch_op.drop_index(batch_op.f('ix_task_measure_fk'))
        batch_op.drop_index(batch_op.f('ix_task_kind'))
        batch_op.drop_index(batch_op.f('ix_task_jurisdiction'))
        batch_op.drop_index(batch_op.f('ix_task_case_fk'))

    op.drop_table('task')
    with op.batch_alter_table('room_stay', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_stay_room_fk'))
        batch_op.drop_index(batch_op.f('ix_room_stay_person_fk'))
        batch_op.drop_index(batch_op.f('ix_room_stay_measure_fk'))
        batch_op.drop_index(batch_op.f('ix_room_stay_left_at'))

    op.drop_table('room_stay')
    with op.batch_alter_table('check_in', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_check_in_person_fk'))
        batch_op.drop_index(batch_op.f('ix_check_in_measure_fk'))
        batch_op.drop_index(batch_op.f('ix_check_in_day'))
        batch_op.drop_index(batch_op.f('ix_check_in_alert'))

    op.drop_table('check_in')
    with op.batch_alter_table('investigation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_investigation_team_fk'))
        batch_op.drop_index(batch_op.f('ix_investigation_status'))

    op.drop_table('investigation')
    with op.batch_alter_table('hospital_admission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hospital_admission_hospital_fk'))
        batch_op.drop_index(batch_op.f('ix_hospital_admission_discharged_at'))
        batch_op.drop_index(batch_op.f('ix_hospital_admission_case_fk'))

    op.drop_table('hospital_admission')
    with op.batch_alter_table('site_staff', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_staff_site_fk'))

    op.drop_table('site_staff')
    with op.batch_alter_table('room', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_room_site_fk'))
        batch_op.drop_index(batch_op.f('ix_room_occupants'))

    op.drop_table('room')
    op.drop_table('escalation_step')
    with op.batch_alter_table('tracing_team', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracing_team_jurisdiction'))

    op.drop_table('tracing_team')
    with op.batch_alter_table('isolation_site', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_isolation_site_jurisdiction'))

    op.drop_table('isolation_site')
    with op.batch_alter_table('hospital', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hospital_jurisdiction'))

    op.drop_table('hospital')
