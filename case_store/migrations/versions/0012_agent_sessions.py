"""agents' login and pause history (agent_events), for the per-agent day report

Revision ID: 0012
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'agent_events',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('key', sa.String(length=80), nullable=False),
        sa.Column('seat', sa.String(length=16), nullable=False),
        sa.Column('event', sa.String(length=16), nullable=False),
        sa.Column('reason', sa.String(length=40), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    op.create_index('ix_agent_events_at', 'agent_events', ['at'])
    op.create_index('ix_agent_events_seat_at', 'agent_events', ['seat', 'at'])


def downgrade() -> None:
    op.drop_index('ix_agent_events_seat_at', table_name='agent_events')
    op.drop_index('ix_agent_events_at', table_name='agent_events')
    op.drop_table('agent_events')
