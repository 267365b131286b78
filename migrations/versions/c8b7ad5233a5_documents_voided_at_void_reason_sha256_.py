"""documents: voided_at, void_reason, sha256 index (issue 9 §5 /verify)

A document can be voided (作废) and stays in the archive; /verify looks uploaded files up by SHA-256.

Revision ID: c8b7ad5233a5
Revises: 4ac57c893ea4
Create Date: 2026-11-30 04:26:38.067590

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8b7ad5233a5'
down_revision = '4ac57c893ea4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f('ix_documents_sha256'), ['sha256'], unique=False)


def downgrade():
    with op.batch_alter_table('documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_documents_sha256'))
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_at')
