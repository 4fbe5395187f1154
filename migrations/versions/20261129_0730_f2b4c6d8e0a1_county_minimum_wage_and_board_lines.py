"""minimum wage borrowed from a city or province is confirmed by a person; arrears platform line

Revision ID: f2b4c6d8e0a1
Revises: e1a2b3c4d5e6
Create Date: 2026-11-29 07:30:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f2b4c6d8e0a1'
down_revision = 'e1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wage_confirmed_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('wage_confirmed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wage_confirmed_region_code', sa.String(length=6),
                                      nullable=True))
        batch_op.add_column(sa.Column('wage_confirmed_monthly_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('wage_confirmed_hourly_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('show_arrears_platform', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
        batch_op.create_foreign_key(
            batch_op.f('fk_project_wage_confirmed_by_id_user_account'), 'user_account',
            ['wage_confirmed_by_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_project_wage_confirmed_by_id_user_account'),
                                 type_='foreignkey')
        batch_op.drop_column('show_arrears_platform')
        batch_op.drop_column('wage_confirmed_hourly_fen')
        batch_op.drop_column('wage_confirmed_monthly_fen')
        batch_op.drop_column('wage_confirmed_region_code')
        batch_op.drop_column('wage_confirmed_by_id')
        batch_op.drop_column('wage_confirmed_at')
