"""inspection: plans can be closed, task deadlines extended (old/new deadline in the history),
reminders claimed once per key (issue 10 §9 gaps)

Revision ID: d92c3f8007d5
Revises: 8ca0d1179fe5
Create Date: 2026-11-30 05:45:50.968049

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd92c3f8007d5'
down_revision = '8ca0d1179fe5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('recipients', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_inspection_reminders_task_id_inspection_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_reminders')),
    sa.UniqueConstraint('task_id', 'key', name='uq_inspection_reminders_task_key')
    )
    with op.batch_alter_table('inspection_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_reminders_task_id'), ['task_id'], unique=False)

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('close_note', sa.Text(), nullable=False, server_default=''))
        batch_op.create_foreign_key(batch_op.f('fk_inspection_plans_closed_by_id_users'), 'users', ['closed_by_id'], ['id'])

    with op.batch_alter_table('inspection_task_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('old_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('new_deadline', sa.Date(), nullable=True))



def downgrade():
    with op.batch_alter_table('inspection_task_events', schema=None) as batch_op:
        batch_op.drop_column('new_deadline')
        batch_op.drop_column('old_deadline')

    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_inspection_plans_closed_by_id_users'), type_='foreignkey')
        batch_op.drop_column('close_note')
        batch_op.drop_column('closed_by_id')
        batch_op.drop_column('closed_at')

    with op.batch_alter_table('inspection_reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_reminders_task_id'))

    op.drop_table('inspection_reminders')
