"""award_nominations.by_unit: 按考核优秀推荐 — a secondary unit's own nomination of its 优秀 branch

Revision ID: a7c3e91d4b20
Revises: 321e5db15081
Create Date: 2026-05-01 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "a7c3e91d4b20"
down_revision = "321e5db15081"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("award_nominations") as batch_op:
        batch_op.add_column(sa.Column("by_unit", sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table("award_nominations") as batch_op:
        batch_op.drop_column("by_unit")
