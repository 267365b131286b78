"""催办: requests.last_urged_at, the time of a request's last urge (at most one per 24 hours)

Revision ID: 027c5273e918
Revises: 6f15e0f2e461
Create Date: 2026-11-30 01:14:43.688196

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '027c5273e918'
down_revision = '6f15e0f2e461'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_urged_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_column('last_urged_at')
