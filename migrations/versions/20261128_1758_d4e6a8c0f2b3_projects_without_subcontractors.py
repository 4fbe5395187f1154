"""projects without subcontractors

Revision ID: d4e6a8c0f2b3
Revises: c3d5f7a9b1e2
Create Date: 2026-11-28 17:58:48.678871+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'd4e6a8c0f2b3'
down_revision = 'c3d5f7a9b1e2'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('no_subcontractors', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))



def downgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('no_subcontractors')

