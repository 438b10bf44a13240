"""call and callback records: the ACD's per-call row and its durable callbacks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 18:47:00.609595
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('callbacks',
    sa.Column('callback_id', sa.String(length=160), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('callback_number', sa.String(length=32), nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('seat', sa.String(length=64), nullable=True),
    sa.Column('case_number', sa.String(length=32), nullable=True),
    sa.Column('recording', sa.String(length=500), nullable=True),
    sa.Column('transcript', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('callback_id')
    )
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_callbacks_callback_number'), ['callback_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_caller'), ['caller'], unique=False)
        batch_op.create_index(batch_op.f('ix_callbacks_case_number'), ['case_number'], unique=False)
        batch_op.create_index('ix_callbacks_status_due', ['status', 'due_at'], unique=False)

    op.create_table('calls',
    sa.Column('uniqueid', sa.String(length=150), nullable=False),
    sa.Column('caller', sa.String(length=64), nullable=False),
    sa.Column('caller_name', sa.String(length=64), nullable=True),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ring_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seat', sa.String(length=64), nullable=True),
    sa.Column('rang_ms', sa.Integer(), nullable=True),
    sa.Column('waited_ms', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=32), nullable=True),
    sa.Column('seats_tried', sa.Integer(), nullable=False),
    sa.Column('case_number', sa.String(length=32), nullable=True),
    sa.Column('callback_id', sa.String(length=160), nullable=True),
    sa.PrimaryKeyConstraint('uniqueid')
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_arrived_at'), ['arrived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_callback_id'), ['callback_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_caller'), ['caller'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_case_number'), ['case_number'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_case_number'))
        batch_op.drop_index(batch_op.f('ix_calls_caller'))
        batch_op.drop_index(batch_op.f('ix_calls_callback_id'))
        batch_op.drop_index(batch_op.f('ix_calls_arrived_at'))

    op.drop_table('calls')
    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_callbacks_status_due')
        batch_op.drop_index(batch_op.f('ix_callbacks_case_number'))
        batch_op.drop_index(batch_op.f('ix_callbacks_caller'))
        batch_op.drop_index(batch_op.f('ix_callbacks_callback_number'))

    op.drop_table('callbacks')
