"""notifications: events, messages (消息), per-user settings, organizations' group robots (issue 7 §1)

Revision ID: d7960018a853
Revises: f6cf8fa5a808
Create Date: 2026-11-30 01:27:33.582716

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd7960018a853'
down_revision = 'f6cf8fa5a808'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email_enabled', sa.Boolean(), nullable=False),
    sa.Column('daily_digest', sa.Boolean(), nullable=False),
    sa.Column('digest_since', sa.DateTime(), nullable=True),
    sa.Column('last_digest_at', sa.DateTime(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_settings_user_id_users')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )
    op.create_table('org_webhooks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('provider', sa.String(length=32), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_org_webhooks_organization_id_organizations')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_org_webhooks_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_org_webhooks')),
    sa.UniqueConstraint('organization_id', name=op.f('uq_org_webhooks_organization_id'))
    )
    op.create_table('notification_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('step_label', sa.String(length=64), nullable=False),
    sa.Column('webhook_org_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('enqueued_at', sa.DateTime(), nullable=True),
    sa.Column('webhook_sent_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notification_events_actor_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_notification_events_request_id_requests')),
    sa.ForeignKeyConstraint(['webhook_org_id'], ['organizations.id'], name=op.f('fk_notification_events_webhook_org_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_events'))
    )
    with op.batch_alter_table('notification_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_events_delivered_at'), ['delivered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_events_request_id'), ['request_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.Column('emailed_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['notification_events.id'], name=op.f('fk_messages_event_id_notification_events')),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_messages_recipient_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_messages_request_id_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_messages_recipient', ['recipient_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_recipient_unread', ['recipient_id', 'read_at'], unique=False)



def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_recipient_unread')
        batch_op.drop_index('ix_messages_recipient')
        batch_op.drop_index(batch_op.f('ix_messages_event_id'))

    op.drop_table('messages')
    with op.batch_alter_table('notification_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_events_request_id'))
        batch_op.drop_index(batch_op.f('ix_notification_events_delivered_at'))

    op.drop_table('notification_events')
    op.drop_table('org_webhooks')
    op.drop_table('notification_settings')
