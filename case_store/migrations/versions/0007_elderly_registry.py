"""elderly registry: terminals and the people behind them, emergency contacts, view log

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('elderly_terminals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('community', sa.String(length=100), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('health_notes', sa.Text(), nullable=False),
    sa.Column('medicines', sa.Text(), nullable=False),
    sa.Column('mobility', sa.String(length=200), nullable=False),
    sa.Column('dialect', sa.String(length=16), nullable=False),
    sa.Column('worker_name', sa.String(length=100), nullable=False),
    sa.Column('worker_phone', sa.String(length=32), nullable=False),
    sa.Column('care_plan', sa.JSON(), nullable=False),
    sa.Column('checkin_windows', sa.JSON(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('terminal')
    )
    op.create_table('elderly_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('terminal_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('relation', sa.String(length=50), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['terminal_id'], ['elderly_terminals.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('terminal_id', 'position', name='uq_elderly_contacts_position')
    )
    op.create_table('elderly_profile_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('viewer', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('terminal', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('elderly_profile_views', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_elderly_profile_views_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_elderly_profile_views_terminal'), ['terminal'],
                              unique=False)
    _append_only_triggers()


_SQLITE_TRIGGERS = [
    "CREATE TRIGGER elderly_profile_views_no_update BEFORE UPDATE ON elderly_profile_views "
    "BEGIN SELECT RAISE(ABORT, 'elderly_profile_views is append-only'); END",
    "CREATE TRIGGER elderly_profile_views_no_delete BEFORE DELETE ON elderly_profile_views "
    "BEGIN SELECT RAISE(ABORT, 'elderly_profile_views is append-only'); END",
]
_PG_TRIGGERS = [
    "CREATE FUNCTION elderly_profile_views_append_only() RETURNS trigger LANGUAGE plpgsql "
    "AS $$ BEGIN RAISE EXCEPTION 'elderly_profile_views is append-only'; END $$",
    "CREATE TRIGGER elderly_profile_views_append_only BEFORE UPDATE OR DELETE ON "
    "elderly_profile_views FOR EACH ROW EXECUTE FUNCTION elderly_profile_views_append_only()",
]


def _append_only_triggers() -> None:
    """Who looked at an elderly person's data cannot be erased afterwards, like case history."""
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS elderly_profile_views_append_only "
                   "ON elderly_profile_views")
        op.execute("DROP FUNCTION IF EXISTS elderly_profile_views_append_only()")
    with op.batch_alter_table('elderly_profile_views', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_elderly_profile_views_terminal'))
        batch_op.drop_index(batch_op.f('ix_elderly_profile_views_at'))
    op.drop_table('elderly_profile_views')
    op.drop_table('elderly_contacts')
    op.drop_table('elderly_terminals')
