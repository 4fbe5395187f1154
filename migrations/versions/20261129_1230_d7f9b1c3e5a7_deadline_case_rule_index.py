"""deadline index by case and rule: the reminder tick's seeding check

Revision ID: d7f9b1c3e5a7
Revises: c6e8a0b2d4f6
Create Date: 2026-11-29 12:30:00+00:00
"""
from alembic import op


revision = 'd7f9b1c3e5a7'
down_revision = 'c6e8a0b2d4f6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_deadline_case_rule", "deadline", ["case_id", "rule"])


def downgrade() -> None:
    op.drop_index("ix_deadline_case_rule", table_name="deadline")
