"""worker intake evidence messages encryption

Revision ID: c3d5f7a9b1e2
Revises: b2c4e6f8a0d1
Create Date: 2026-11-28 17:11:35.923720+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'c3d5f7a9b1e2'
down_revision = 'b2c4e6f8a0d1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('evidence_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=True),
    sa.Column('upload_key', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content_type', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_evidence_file_lead_id_lead'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_evidence_file'))
    )
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_file_lead_id'), ['lead_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_file_upload_key'), ['upload_key'], unique=False)

    op.create_table('lead_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lead_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_lead_message_author_id_user_account')),
    sa.ForeignKeyConstraint(['lead_id'], ['lead.id'], name=op.f('fk_lead_message_lead_id_lead'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lead_message'))
    )
    with op.batch_alter_table('lead_message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lead_message_lead_id'), ['lead_id'], unique=False)

    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('site_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('site_address', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('taken_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('phone_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('id_number', sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column('id_number_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('id_consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('employer_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('employer_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('subcontractor_name', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('trade', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('months_unpaid', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('evidence', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('urgent', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('hometown', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('best_time', sa.String(length=16), nullable=True))
        batch_op.alter_column('phone',
               existing_type=sa.VARCHAR(length=32),
               type_=sa.String(length=512),
               existing_nullable=True)
        batch_op.create_index(batch_op.f('ix_lead_id_number_hash'), ['id_number_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_lead_phone_hash'), ['phone_hash'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_lead_taken_by_id_user_account'), 'user_account', ['taken_by_id'], ['id'])

    _encrypt_existing_phones()


def _encrypt_existing_phones() -> None:
    """Phones stored in clear by the first revision are encrypted, and hashed for lookups.

    Needs the application's keys: run through `wagechannel db upgrade`, which configures them.
    """
    bind = op.get_bind()
    lead = sa.table('lead', sa.column('id', sa.Integer), sa.column('phone', sa.String),
                    sa.column('phone_hash', sa.String))
    rows = bind.execute(sa.select(lead.c.id, lead.c.phone).where(lead.c.phone.is_not(None))).all()
    if not rows:
        return
    from wagechannel.crypto import keyring
    keys = keyring()
    for lead_id, phone in rows:
        bind.execute(lead.update().where(lead.c.id == lead_id)
                     .values(phone=keys.encrypt(phone), phone_hash=keys.digest(phone)))


def downgrade() -> None:
    _decrypt_phones()
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_lead_taken_by_id_user_account'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_lead_phone_hash'))
        batch_op.drop_index(batch_op.f('ix_lead_id_number_hash'))
        batch_op.alter_column('phone',
               existing_type=sa.String(length=512),
               type_=sa.VARCHAR(length=32),
               existing_nullable=True)
        batch_op.drop_column('best_time')
        batch_op.drop_column('hometown')
        batch_op.drop_column('urgent')
        batch_op.drop_column('evidence')
        batch_op.drop_column('months_unpaid')
        batch_op.drop_column('trade')
        batch_op.drop_column('subcontractor_name')
        batch_op.drop_column('employer_phone')
        batch_op.drop_column('employer_kind')
        batch_op.drop_column('id_consent_at')
        batch_op.drop_column('id_number_hash')
        batch_op.drop_column('id_number')
        batch_op.drop_column('phone_hash')
        batch_op.drop_column('taken_by_id')
        batch_op.drop_column('site_address')
        batch_op.drop_column('site_name')

    with op.batch_alter_table('lead_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lead_message_lead_id'))

    op.drop_table('lead_message')
    with op.batch_alter_table('evidence_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_file_upload_key'))
        batch_op.drop_index(batch_op.f('ix_evidence_file_lead_id'))

    op.drop_table('evidence_file')


def _decrypt_phones() -> None:
    bind = op.get_bind()
    lead = sa.table('lead', sa.column('id', sa.Integer), sa.column('phone', sa.String))
    rows = bind.execute(sa.select(lead.c.id, lead.c.phone).where(lead.c.phone.is_not(None))).all()
    if not rows:
        return
    from wagechannel.crypto import keyring
    keys = keyring()
    for lead_id, token in rows:
        bind.execute(lead.update().where(lead.c.id == lead_id).values(phone=keys.decrypt(token)))
