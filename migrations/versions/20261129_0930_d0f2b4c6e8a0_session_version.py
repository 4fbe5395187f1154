"""session version: a logout, a new password or deactivation ends every session of an account

Revision ID: d0f2b4c6e8a0
Revises: b8d0f2a4c6e8
Create Date: 2026-11-29 09:30:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd0f2b4c6e8a0'
down_revision = 'b8d0f2a4c6e8'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
