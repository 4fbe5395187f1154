"""case workflow: acceptance, materials, decision, refusal, assignment history, routes, outcome

Revision ID: e1f3a5c7e9b1
Revises: d0f2b4c6e8a0
Create Date: 2026-11-29 10:00:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'e1f3a5c7e9b1'
down_revision = 'd0f2b4c6e8a0'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('legal_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('application_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('materials_requested', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('materials_requested_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('materials_received_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hardship_basis', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('hardship_proof', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('aid_before_review', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column('refusal_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('refusal_referral', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('amount_recovered_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('paid_by', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('outcome_note', sa.Text(), nullable=True))
    with op.batch_alter_table('claimant', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_recovered_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=16), nullable=True))
    op.create_table(
        'case_assignment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('lawyer_id', sa.Integer(), nullable=False),
        sa.Column('assigned_by_id', sa.Integer(), nullable=True),
        sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'],
                                name=op.f('fk_case_assignment_assigned_by_id_user_account')),
        sa.ForeignKeyConstraint(['case_id'], ['legal_case.id'], ondelete='CASCADE',
                                name=op.f('fk_case_assignment_case_id_legal_case')),
        sa.ForeignKeyConstraint(['lawyer_id'], ['user_account.id'],
                                name=op.f('fk_case_assignment_lawyer_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assignment')),
    )
    op.create_index(op.f('ix_case_assignment_case_id'), 'case_assignment', ['case_id'])
    op.create_index(op.f('ix_case_assignment_lawyer_id'), 'case_assignment', ['lawyer_id'])
    op.create_table(
        'case_route',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('filed_on', sa.Date(), nullable=True),
        sa.Column('accepted_on', sa.Date(), nullable=True),
        sa.Column('hearing_on', sa.Date(), nullable=True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['case_id'], ['legal_case.id'], ondelete='CASCADE',
                                name=op.f('fk_case_route_case_id_legal_case')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_case_route')),
    )
    op.create_index(op.f('ix_case_route_case_id'), 'case_route', ['case_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_case_route_case_id'), table_name='case_route')
    op.drop_table('case_route')
    op.drop_index(op.f('ix_case_assignment_lawyer_id'), table_name='case_assignment')
    op.drop_index(op.f('ix_case_assignment_case_id'), table_name='case_assignment')
    op.drop_table('case_assignment')
    with op.batch_alter_table('claimant', schema=None) as batch_op:
        batch_op.drop_column('outcome')
        batch_op.drop_column('amount_recovered_fen')
    with op.batch_alter_table('legal_case', schema=None) as batch_op:
        for name in ('outcome_note', 'paid_by', 'amount_recovered_fen', 'outcome', 'assigned_at',
                     'refusal_referral', 'refusal_reason', 'aid_before_review', 'hardship_proof',
                     'hardship_basis', 'decided_at', 'materials_received_at',
                     'materials_requested_at', 'materials_requested', 'accepted_at',
                     'application_date'):
            batch_op.drop_column(name)
