"""board and project lists in index order; a scan counted once per address per board per day

Revision ID: c9e1a3b5d7f9
Revises: a4c6e8f0b2d4
Create Date: 2026-11-29 09:00:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c9e1a3b5d7f9'
down_revision = 'a4c6e8f0b2d4'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The project lists' orders: a contractor's projects by id, an office's county by county
    # (each new index starts with the column the old one-column index covered).
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_contractor_id'))
        batch_op.drop_index(batch_op.f('ix_project_region_code'))
        batch_op.create_index('ix_project_contractor_id_id', ['contractor_id', 'id'], unique=False)
        batch_op.create_index('ix_project_region_code_id', ['region_code', 'id'], unique=False)
    with op.batch_alter_table('board', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_created_at'), ['created_at'], unique=False)
    op.create_table(
        'board_scan_visitor',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('board_id', sa.Integer(), nullable=False),
        sa.Column('visitor', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['board_id'], ['board.id'],
                                name=op.f('fk_board_scan_visitor_board_id_board'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('day', 'board_id', 'visitor', name=op.f('pk_board_scan_visitor')),
    )


def downgrade() -> None:
    op.drop_table('board_scan_visitor')
    with op.batch_alter_table('board', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_board_created_at'))
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_region_code_id')
        batch_op.drop_index('ix_project_contractor_id_id')
        batch_op.create_index(batch_op.f('ix_project_region_code'), ['region_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_contractor_id'), ['contractor_id'],
                              unique=False)
