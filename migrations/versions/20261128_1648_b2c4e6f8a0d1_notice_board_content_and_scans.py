"""notice board content and scans

Revision ID: b2c4e6f8a0d1
Revises: a1f0c2d3e4b5
Create Date: 2026-11-28 16:48:40.466005+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b2c4e6f8a0d1'
down_revision = 'a1f0c2d3e4b5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subcontractor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.String(length=128), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_subcontractor_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subcontractor'))
    )
    with op.batch_alter_table('subcontractor', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subcontractor_project_id'), ['project_id'], unique=False)

    op.create_table('board_scan',
    sa.Column('board_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['board_id'], ['board.id'], name=op.f('fk_board_scan_board_id_board'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('board_id', 'day', name=op.f('pk_board_scan'))
    )
    with op.batch_alter_table('board', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('replaced_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_board_replaced_by_id_board'), 'board', ['replaced_by_id'], ['id'])

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.add_column(sa.Column('construction_unit_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('construction_unit_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('project_office_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('project_manager_name', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('project_office_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('authority_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('authority_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('minimum_wage_monthly_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('minimum_wage_hourly_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('pay_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('labour_inspection_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('arbitration_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('arbitration_address', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('arbitration_phone', sa.String(length=32), nullable=True))
        # Existing rows get the time of the upgrade.
        batch_op.add_column(sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False,
                                      server_default=sa.text('CURRENT_TIMESTAMP')))

    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minimum_wage_monthly_fen', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('minimum_wage_hourly_fen', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_column('minimum_wage_hourly_fen')
        batch_op.drop_column('minimum_wage_monthly_fen')

    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
        batch_op.drop_column('arbitration_phone')
        batch_op.drop_column('arbitration_address')
        batch_op.drop_column('arbitration_name')
        batch_op.drop_column('labour_inspection_phone')
        batch_op.drop_column('pay_day')
        batch_op.drop_column('minimum_wage_hourly_fen')
        batch_op.drop_column('minimum_wage_monthly_fen')
        batch_op.drop_column('authority_phone')
        batch_op.drop_column('authority_name')
        batch_op.drop_column('project_office_phone')
        batch_op.drop_column('project_manager_name')
        batch_op.drop_column('project_office_name')
        batch_op.drop_column('construction_unit_phone')
        batch_op.drop_column('construction_unit_name')

    with op.batch_alter_table('board', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_board_replaced_by_id_board'), type_='foreignkey')
        batch_op.drop_column('replaced_by_id')
        batch_op.drop_column('revoked_reason')

    op.drop_table('board_scan')
    with op.batch_alter_table('subcontractor', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subcontractor_project_id'))

    op.drop_table('subcontractor')
