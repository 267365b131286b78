"""抄送: the rules 组织部 keeps per request type (cc_rules), and the copies of requests (request_copies)

Revision ID: 6f15e0f2e461
Revises: 51fc2db34593
Create Date: 2026-11-30 01:18:37.455624

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '6f15e0f2e461'
down_revision = '51fc2db34593'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cc_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_type', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('timing', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=100), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('removed_by_id', sa.Integer(), nullable=True),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_cc_rules_created_by_id_users')),
    sa.ForeignKeyConstraint(['removed_by_id'], ['users.id'], name=op.f('fk_cc_rules_removed_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_cc_rules_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cc_rules'))
    )
    with op.batch_alter_table('cc_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cc_rules_request_type'), ['request_type'], unique=False)

    op.create_table('request_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_request_copies_added_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_request_copies_request_id_requests')),
    sa.ForeignKeyConstraint(['rule_id'], ['cc_rules.id'], name=op.f('fk_request_copies_rule_id_cc_rules')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_request_copies_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_copies')),
    sa.UniqueConstraint('request_id', 'user_id', name='uq_request_copies_user')
    )
    with op.batch_alter_table('request_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_copies_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_copies_user_id'), ['user_id'], unique=False)



def downgrade():
    with op.batch_alter_table('request_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_copies_user_id'))
        batch_op.drop_index(batch_op.f('ix_request_copies_request_id'))

    op.drop_table('request_copies')
    with op.batch_alter_table('cc_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cc_rules_request_type'))

    op.drop_table('cc_rules')
