"""case teamwork: contacts, shares, referrals, alerts, tiers, collective grouping, api tokens, vulnerable workers

Revision ID: f2a4b6c8d0e2
Revises: e1f3a5c7e9b1
Create Date: 2026-11-29 10:30:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'f2a4b6c8d0e2'
down_revision = 'e1f3a5c7e9b1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_api_token_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_user_id'), ['user_id'], unique=False)

    op.create_table('alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('read_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['legal_case.id'], name=op.f('fk_alert_case_id_legal_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_alert_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['read_by_id'], ['user_account.id'], name=op.f('fk_alert_read_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alert'))
    )
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_alert_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('case_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('shared_by_id', sa.Integer(), nullable=True),
    sa.Column('shared_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_case.id'], name=op.f('fk_case_share_case_id_legal_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_case_share_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['shared_by_id'], ['user_account.id'], name=op.f('fk_case_share_shared_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_share')),
    sa.UniqueConstraint('case_id', 'organisation_id', name=op.f('uq_case_share_case_id'))
    )
    with op.batch_alter_table('case_share', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_share_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_share_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('referral',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('bureau_org_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('consent_note', sa.Text(), nullable=False),
    sa.Column('referred_by_id', sa.Integer(), nullable=True),
    sa.Column('referred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_on', sa.Date(), nullable=True),
    sa.Column('ordered_on', sa.Date(), nullable=True),
    sa.Column('resolved_on', sa.Date(), nullable=True),
    sa.Column('result_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['bureau_org_id'], ['organisation.id'], name=op.f('fk_referral_bureau_org_id_organisation')),
    sa.ForeignKeyConstraint(['case_id'], ['legal_case.id'], name=op.f('fk_referral_case_id_legal_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referred_by_id'], ['user_account.id'], name=op.f('fk_referral_referred_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral'))
    )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_bureau_org_id'), ['bureau_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_referred_at'), ['referred_at'], unique=False)

    op.create_table('case_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['legal_case.id'], name=op.f('fk_case_contact_case_id_legal_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_case_contact_lead_id_lead'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_case_contact_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_contact'))
    )
    with op.batch_alter_table('case_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_contact_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vulnerable', sa.JSON(), nullable=True))

    with op.batch_alter_table('legal_case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tier', sa.String(length=8), server_default='routine', nullable=False))
        batch_op.add_column(sa.Column('tier_rank', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('worker_count', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('collective_level', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('employer_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('routed_above', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index('ix_legal_case_grouping', ['project_id', 'employer_key', 'created_at'], unique=False)
        batch_op.create_index('ix_legal_case_tiers_all', ['tier_rank', 'limitation_end', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_legal_case_tiers_bureau', ['bureau_org_id', 'tier_rank', 'limitation_end', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_legal_case_tiers_centre', ['legal_aid_org_id', 'tier_rank', 'limitation_end', 'created_at', 'id'], unique=False)
        batch_op.create_index('ix_legal_case_tiers_lawyer', ['lawyer_id', 'tier_rank', 'limitation_end', 'created_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('legal_case', schema=None) as batch_op:
        batch_op.drop_index('ix_legal_case_tiers_lawyer')
        batch_op.drop_index('ix_legal_case_tiers_centre')
        batch_op.drop_index('ix_legal_case_tiers_bureau')
        batch_op.drop_index('ix_legal_case_tiers_all')
        batch_op.drop_index('ix_legal_case_grouping')
        batch_op.drop_column('routed_above')
        batch_op.drop_column('employer_key')
        batch_op.drop_column('collective_level')
        batch_op.drop_column('worker_count')
        batch_op.drop_column('tier_rank')
        batch_op.drop_column('tier')

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('vulnerable')

    with op.batch_alter_table('case_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_contact_case_id'))

    op.drop_table('case_contact')
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_referred_at'))
        batch_op.drop_index(batch_op.f('ix_referral_case_id'))
        batch_op.drop_index(batch_op.f('ix_referral_bureau_org_id'))

    op.drop_table('referral')
    with op.batch_alter_table('case_share', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_share_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_case_share_case_id'))

    op.drop_table('case_share')
    with op.batch_alter_table('alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_alert_created_at'))
        batch_op.drop_index(batch_op.f('ix_alert_case_id'))

    op.drop_table('alert')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_user_id'))

    op.drop_table('api_token')
