"""delegations, on behalf of, step assignee (issue 8 §5 委托代理, §7 转办)

delegations: a holder's deputy for one role assignment and a date range;
timeline_entries.on_behalf_of_id: the holder a deputy acted for (代为处理);
requests.current_assignee_id: the named person a step was handed to (转办).

Revision ID: 106a99969e53
Revises: 027c5273e918
Create Date: 2026-11-30 01:17:53.451400

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '106a99969e53'
down_revision = '027c5273e918'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delegations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delegator_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('role_assignment_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('ended_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['delegator_id'], ['users.id'], name=op.f('fk_delegations_delegator_id_users')),
    sa.ForeignKeyConstraint(['deputy_id'], ['users.id'], name=op.f('fk_delegations_deputy_id_users')),
    sa.ForeignKeyConstraint(['role_assignment_id'], ['role_assignments.id'], name=op.f('fk_delegations_role_assignment_id_role_assignments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegations'))
    )
    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegations_delegator_id'), ['delegator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegations_deputy_id'), ['deputy_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegations_role_assignment_id'), ['role_assignment_id'], unique=False)

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('current_assignee_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_requests_current_assignee_id_users'), 'users', ['current_assignee_id'], ['id'])

    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_timeline_entries_on_behalf_of_id_users'), 'users', ['on_behalf_of_id'], ['id'])



def downgrade():
    with op.batch_alter_table('timeline_entries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_timeline_entries_on_behalf_of_id_users'), type_='foreignkey')
        batch_op.drop_column('on_behalf_of_id')

    with op.batch_alter_table('requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_requests_current_assignee_id_users'), type_='foreignkey')
        batch_op.drop_column('current_assignee_id')

    with op.batch_alter_table('delegations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegations_role_assignment_id'))
        batch_op.drop_index(batch_op.f('ix_delegations_deputy_id'))
        batch_op.drop_index(batch_op.f('ix_delegations_delegator_id'))

    op.drop_table('delegations')
