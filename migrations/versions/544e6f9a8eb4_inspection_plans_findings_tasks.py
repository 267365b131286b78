"""inspection: 巡察/监督检查 plans, the units they cover, findings, 整改任务 with their history and
evidence files (issue 10 §9)

Revision ID: 544e6f9a8eb4
Revises: 2a25178cbca6
Create Date: 2026-11-30 05:10:55.480584

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '544e6f9a8eb4'
down_revision = '2a25178cbca6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('inspection_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('team', sa.String(length=300), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_plans_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plans'))
    )
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plans_year'), ['year'], unique=False)

    op.create_table('inspection_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_findings_created_by_id_users')),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_inspection_findings_org_id_organizations')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_findings_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_findings'))
    )
    with op.batch_alter_table('inspection_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_findings_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_findings_plan_id'), ['plan_id'], unique=False)

    op.create_table('inspection_plan_units',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['org_id'], ['organizations.id'], name=op.f('fk_inspection_plan_units_org_id_organizations')),
    sa.ForeignKeyConstraint(['plan_id'], ['inspection_plans.id'], name=op.f('fk_inspection_plan_units_plan_id_inspection_plans')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_plan_units')),
    sa.UniqueConstraint('plan_id', 'org_id', name=op.f('uq_inspection_plan_units_plan_id_org_id'))
    )
    with op.batch_alter_table('inspection_plan_units', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_plan_units_org_id'), ['org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_plan_units_plan_id'), ['plan_id'], unique=False)

    op.create_table('inspection_tasks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('requirement', sa.Text(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_inspection_tasks_created_by_id_users')),
    sa.ForeignKeyConstraint(['finding_id'], ['inspection_findings.id'], name=op.f('fk_inspection_tasks_finding_id_inspection_findings')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organizations.id'], name=op.f('fk_inspection_tasks_owner_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_tasks'))
    )
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_tasks_deadline'), ['deadline'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_tasks_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_tasks_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_tasks_state'), ['state'], unique=False)

    op.create_table('inspection_task_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=True),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_inspection_task_events_actor_id_users')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_inspection_task_events_task_id_inspection_tasks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_task_events'))
    )
    with op.batch_alter_table('inspection_task_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_task_events_task_id'), ['task_id'], unique=False)

    op.create_table('inspection_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('storage_path', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['inspection_task_events.id'], name=op.f('fk_inspection_files_event_id_inspection_task_events')),
    sa.ForeignKeyConstraint(['task_id'], ['inspection_tasks.id'], name=op.f('fk_inspection_files_task_id_inspection_tasks')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_inspection_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_files'))
    )
    with op.batch_alter_table('inspection_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inspection_files_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inspection_files_task_id'), ['task_id'], unique=False)



def downgrade():
    with op.batch_alter_table('inspection_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_files_task_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_files_event_id'))

    op.drop_table('inspection_files')
    with op.batch_alter_table('inspection_task_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_task_events_task_id'))

    op.drop_table('inspection_task_events')
    with op.batch_alter_table('inspection_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_state'))
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_finding_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_tasks_deadline'))

    op.drop_table('inspection_tasks')
    with op.batch_alter_table('inspection_plan_units', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plan_units_plan_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_plan_units_org_id'))

    op.drop_table('inspection_plan_units')
    with op.batch_alter_table('inspection_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_findings_plan_id'))
        batch_op.drop_index(batch_op.f('ix_inspection_findings_org_id'))

    op.drop_table('inspection_findings')
    with op.batch_alter_table('inspection_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inspection_plans_year'))

    op.drop_table('inspection_plans')
