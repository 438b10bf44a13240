"""company standing log, place keys for duplicate merging, agent-visit hand-over

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('company_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('company_code', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('from_standing', sa.String(length=16), nullable=False),
    sa.Column('to_standing', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['company_code'], ['companies.code'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('company_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_company_events_company_code'), ['company_code'],
                              unique=False)
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('suspended_until', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('judged_from', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('place_key', sa.String(length=300), nullable=True))
        batch_op.create_index('ix_cases_topic_place', ['topic', 'place_key'], unique=False)
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.add_column(sa.Column('handed_over_at', sa.DateTime(timezone=True),
                                      nullable=True))
    _append_only_triggers()
    _backfill()


_SQLITE_TRIGGERS = [
    "CREATE TRIGGER company_events_no_update BEFORE UPDATE ON company_events "
    "BEGIN SELECT RAISE(ABORT, 'company_events is append-only'); END",
    "CREATE TRIGGER company_events_no_delete BEFORE DELETE ON company_events "
    "BEGIN SELECT RAISE(ABORT, 'company_events is append-only'); END",
]
_PG_TRIGGERS = [
    "CREATE FUNCTION company_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "BEGIN RAISE EXCEPTION 'company_events is append-only'; END $$",
    "CREATE TRIGGER company_events_append_only BEFORE UPDATE OR DELETE ON company_events "
    "FOR EACH ROW EXECUTE FUNCTION company_events_append_only()",
]


def _append_only_triggers() -> None:
    """A company's standing history cannot be rewritten, like the case event log."""
    dialect = op.get_bind().dialect.name
    for statement in _SQLITE_TRIGGERS if dialect == "sqlite" else _PG_TRIGGERS:
        op.execute(statement)


def _backfill() -> None:
    """Place keys for existing cases; hand-over stamps from the dialler's existing notes."""
    from case_store.places import place_key

    bind = op.get_bind()
    for case_id, place in bind.execute(sa.text(
            "SELECT id, place FROM cases WHERE place IS NOT NULL")).all():
        bind.execute(sa.text("UPDATE cases SET place_key = :k WHERE id = :i"),
                     {"k": place_key(place), "i": case_id})
    events = sa.table('case_events', sa.column('case_id'), sa.column('at'),
                      sa.column('action'), sa.column('data', sa.JSON()))
    notes = bind.execute(sa.select(events.c.case_id, events.c.at, events.c.data)
                         .where(events.c.action == 'note')).all()
    for case_id, at, data in notes:
        if (data or {}).get('followup') == 'handed_over':
            bind.execute(sa.text(
                "UPDATE followups SET handed_over_at = :at WHERE case_id = :c "
                "AND answered_at IS NULL AND handed_over_at IS NULL AND created_at <= :at"),
                {"at": at, "c": case_id})


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS company_events_append_only ON company_events")
        op.execute("DROP FUNCTION IF EXISTS company_events_append_only()")
    with op.batch_alter_table('followups', schema=None) as batch_op:
        batch_op.drop_column('handed_over_at')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_topic_place')
        batch_op.drop_column('place_key')
    with op.batch_alter_table('companies', schema=None) as batch_op:
        batch_op.drop_column('judged_from')
        batch_op.drop_column('suspended_until')
    with op.batch_alter_table('company_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_company_events_company_code'))
    op.drop_table('company_events')
