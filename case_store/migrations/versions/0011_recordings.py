"""call recordings (MixMonitor, one row a recorded conversation) and who played them

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('call_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stem', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=500), nullable=False),
    sa.Column('call_uniqueid', sa.String(length=150), nullable=True),
    sa.Column('callback_id', sa.String(length=160), nullable=True),
    sa.Column('seat', sa.String(length=64), nullable=True),
    sa.Column('audio_format', sa.String(length=8), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_reason', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stem')
    )
    with op.batch_alter_table('call_recordings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_recordings_call_uniqueid'), ['call_uniqueid'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_call_recordings_callback_id'), ['callback_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_call_recordings_seat'), ['seat'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_recordings_recorded_at'), ['recorded_at'],
                              unique=False)
    op.create_table('call_recording_plays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recording_id', sa.Integer(), nullable=False),
    sa.Column('listener', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('case_number', sa.String(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('call_recording_plays', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_recording_plays_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_recording_plays_recording_id'),
                              ['recording_id'], unique=False)
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS:
        op.execute(statement)


# who listened to a call cannot be erased afterwards, like the case history
_SQLITE_TRIGGERS = [
    "CREATE TRIGGER call_recording_plays_no_update BEFORE UPDATE ON call_recording_plays "
    "BEGIN SELECT RAISE(ABORT, 'call_recording_plays is append-only'); END",
    "CREATE TRIGGER call_recording_plays_no_delete BEFORE DELETE ON call_recording_plays "
    "BEGIN SELECT RAISE(ABORT, 'call_recording_plays is append-only'); END",
]
_PG_TRIGGERS = [
    "CREATE FUNCTION call_recording_plays_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RAISE EXCEPTION 'call_recording_plays is append-only'; END $$",
    "CREATE TRIGGER call_recording_plays_append_only BEFORE UPDATE OR DELETE ON "
    "call_recording_plays FOR EACH ROW EXECUTE FUNCTION call_recording_plays_append_only()",
]


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS call_recording_plays_append_only "
                   "ON call_recording_plays")
        op.execute("DROP FUNCTION IF EXISTS call_recording_plays_append_only()")
    with op.batch_alter_table('call_recording_plays', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_recording_plays_recording_id'))
        batch_op.drop_index(batch_op.f('ix_call_recording_plays_at'))
    op.drop_table('call_recording_plays')
    with op.batch_alter_table('call_recordings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_call_recordings_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_call_recordings_seat'))
        batch_op.drop_index(batch_op.f('ix_call_recordings_callback_id'))
        batch_op.drop_index(batch_op.f('ix_call_recordings_call_uniqueid'))
    op.drop_table('call_recordings')
