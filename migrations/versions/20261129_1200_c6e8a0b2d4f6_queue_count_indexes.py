"""queue count indexes: open cases per centre, bureau and lawyer

Revision ID: c6e8a0b2d4f6
Revises: b5d7f9a1c3e5
Create Date: 2026-11-29 12:00:00+00:00
"""
from alembic import op


revision = 'c6e8a0b2d4f6'
down_revision = 'b5d7f9a1c3e5'
branch_labels = None
depends_on = None

INDEXES = {"ix_legal_case_centre_status": ["legal_aid_org_id", "status"],
           "ix_legal_case_bureau_status": ["bureau_org_id", "status"],
           "ix_legal_case_lawyer_status": ["lawyer_id", "status"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "legal_case", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="legal_case")
