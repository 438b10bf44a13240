"""seat_facts: seats' login and pause, restored when Redis loses its state

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'seat_facts',
        sa.Column('seat', sa.String(length=16), primary_key=True),
        sa.Column('logged_in', sa.Boolean(), nullable=False),
        sa.Column('paused_reason', sa.String(length=40), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('seat_facts')
