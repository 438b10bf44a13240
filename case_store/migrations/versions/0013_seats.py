"""seats as data (seats): the seat numbers PJSIP endpoints and the ACD serve

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'seats',
        sa.Column('number', sa.String(length=8), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False, server_default=''),
        sa.Column('site', sa.String(length=40), nullable=True),
        sa.Column('enabled', sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('number'),
    )


def downgrade() -> None:
    op.drop_table('seats')
