"""idempotency fingerprint: an API key is bound to the content first sent with it

Revision ID: a7c9e1f3b5d7
Revises: f2b4c6d8e0a1
Create Date: 2026-11-29 08:00:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'a7c9e1f3b5d7'
down_revision = 'f2b4c6d8e0a1'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_fingerprint', sa.String(length=64),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('lead', schema=None) as batch_op:
        batch_op.drop_column('idempotency_fingerprint')
