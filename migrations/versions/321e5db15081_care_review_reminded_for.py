"""困难党员台账: the review date an overdue 每年复核 reminder was sent for (once per entry and period)

Revision ID: 321e5db15081
Revises: 544e6f9a8eb4
Create Date: 2026-11-30 05:35:19.738801

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '321e5db15081'
down_revision = '544e6f9a8eb4'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (nullable, no default) on both SQLite and PostgreSQL: no table rebuild.
    op.add_column('care_registry_entries', sa.Column('review_reminded_for', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('care_registry_entries', schema=None) as batch_op:
        batch_op.drop_column('review_reminded_for')
