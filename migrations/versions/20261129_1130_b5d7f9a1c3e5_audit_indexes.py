"""audit indexes: a case's timeline and the search by user

Revision ID: b5d7f9a1c3e5
Revises: c9e1a3b5d7f9
Create Date: 2026-11-29 11:30:00+00:00
"""
from alembic import op


revision = 'b5d7f9a1c3e5'
down_revision = 'c9e1a3b5d7f9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_event_object", "audit_event", ["object_type", "object_id", "at"])
    op.create_index("ix_audit_event_actor_at", "audit_event", ["actor_id", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_actor_at", table_name="audit_event")
    op.drop_index("ix_audit_event_object", table_name="audit_event")
