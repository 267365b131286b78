"""the 文号 register (issue 9 §2): its series (issuer × kind, with the prefix 组织部 sets) and every
number issued, voided ones kept with the reason

Revision ID: 8ca0d1179fe5
Revises: a7c3e91d4b20
Create Date: 2026-11-30 04:29:30.695550

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8ca0d1179fe5'
down_revision = 'a7c3e91d4b20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('doc_number_series',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('issued_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_doc_number_series_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doc_number_series')),
    sa.UniqueConstraint('issuer', 'kind', name=op.f('uq_doc_number_series_issuer_kind'))
    )
    op.create_table('doc_numbers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('series_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('serial', sa.Integer(), nullable=False),
    sa.Column('prefix', sa.String(length=20), nullable=False),
    sa.Column('number', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('issued_at', sa.DateTime(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['document_id'], ['documents.id'], name=op.f('fk_doc_numbers_document_id_documents')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['users.id'], name=op.f('fk_doc_numbers_issued_by_id_users')),
    sa.ForeignKeyConstraint(['series_id'], ['doc_number_series.id'], name=op.f('fk_doc_numbers_series_id_doc_number_series')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_doc_numbers_voided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_doc_numbers')),
    sa.UniqueConstraint('series_id', 'year', 'serial', name=op.f('uq_doc_numbers_series_id_year_serial'))
    )
    with op.batch_alter_table('doc_numbers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_doc_numbers_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_doc_numbers_number'), ['number'], unique=False)
        batch_op.create_index(batch_op.f('ix_doc_numbers_series_id'), ['series_id'], unique=False)



def downgrade():
    with op.batch_alter_table('doc_numbers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_doc_numbers_series_id'))
        batch_op.drop_index(batch_op.f('ix_doc_numbers_number'))
        batch_op.drop_index(batch_op.f('ix_doc_numbers_document_id'))

    op.drop_table('doc_numbers')
    op.drop_table('doc_number_series')
