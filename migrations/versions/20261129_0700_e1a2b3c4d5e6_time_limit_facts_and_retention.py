"""time limit facts on leads, limitation and closing on cases, erasure

Revision ID: e1a2b3c4d5e6
Revises: d4e6a8c0f2b3
Create Date: 2026-11-29 07:00:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e1a2b3c4d5e6'
down_revision = 'd4e6a8c0f2b3'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('employment_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('work_end_precision', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('award_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('award_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('demanded_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    # Reports stored before the question was asked: a given end date means the work ended.
    op.execute("UPDATE lead SET employment_status = 'ended', work_end_precision = 'day' "
               "WHERE work_end IS NOT NULL")
    with op.batch_alter_table('legal_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('limitation_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('limitation_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('limitation_provisional', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_legal_case_closed_at'), ['closed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('legal_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_legal_case_closed_at'))
        batch_op.drop_column('closed_at')
        batch_op.drop_column('limitation_provisional')
        batch_op.drop_column('limitation_kind')
        batch_op.drop_column('limitation_end')
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('erased_at')
        batch_op.drop_column('demanded_on')
        batch_op.drop_column('award_date')
        batch_op.drop_column('award_kind')
        batch_op.drop_column('work_end_precision')
        batch_op.drop_column('employment_status')
