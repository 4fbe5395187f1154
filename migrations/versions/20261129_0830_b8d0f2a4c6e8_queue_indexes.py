"""queue indexes: each queue's filter, then priority (descending), age and id

Revision ID: b8d0f2a4c6e8
Revises: a7c9e1f3b5d7
Create Date: 2026-11-29 08:30:00+00:00
"""
from alembic import op
import sqlalchemy as sa


revision = 'b8d0f2a4c6e8'
down_revision = 'a7c9e1f3b5d7'
branch_labels = None
depends_on = None

QUEUES = {"centre": ["legal_aid_org_id"], "bureau": ["bureau_org_id"], "lawyer": ["lawyer_id"],
          "all": []}


def upgrade() -> None:
    for name, columns in QUEUES.items():
        op.create_index(f"ix_legal_case_queue_{name}", "legal_case",
                        [*columns, sa.column("priority").desc(), "created_at", "id"])


def downgrade() -> None:
    for name in QUEUES:
        op.drop_index(f"ix_legal_case_queue_{name}", table_name="legal_case")
