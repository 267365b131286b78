"""talks, talk links and reminders (谈心谈话 §三(二)1); pairings, contacts and volunteer records
(结对帮扶 §三(三)2); notifications about something other than a request (a notice: no request_id,
its own subject and link)

Revision ID: db1c9c96c8cb
Revises: a4d0f88bf282
Create Date: 2026-11-30 04:32:22.839188

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'db1c9c96c8cb'
down_revision = 'a4d0f88bf282'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('helper_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('started_on', sa.Date(), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('measures', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('end_reason', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('helper_id <> member_id', name=op.f('ck_pairings_ck_pairing_not_self')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pairings_created_by_id_users')),
    sa.ForeignKeyConstraint(['helper_id'], ['members.id'], name=op.f('fk_pairings_helper_id_members')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pairings_member_id_members')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_pairings_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairings'))
    )
    with op.batch_alter_table('pairings', schema=None) as batch_op:
        batch_op.create_index('ix_pairings_helper', ['helper_id'], unique=False)
        batch_op.create_index('ix_pairings_member', ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pairings_organization_id'), ['organization_id'], unique=False)

    op.create_table('talk_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('leader_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('(branch_id IS NULL) <> (member_id IS NULL)', name=op.f('ck_talk_links_ck_talk_link_one_target')),
    sa.ForeignKeyConstraint(['branch_id'], ['organizations.id'], name=op.f('fk_talk_links_branch_id_organizations')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_talk_links_created_by_id_users')),
    sa.ForeignKeyConstraint(['leader_id'], ['users.id'], name=op.f('fk_talk_links_leader_id_users')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_talk_links_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_links'))
    )
    with op.batch_alter_table('talk_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talk_links_branch_id'), ['branch_id'], unique=False)
        batch_op.create_index('ix_talk_links_leader', ['leader_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talk_links_member_id'), ['member_id'], unique=False)

    op.create_table('talk_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=64), nullable=False),
    sa.Column('due_count', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_talk_reminders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_reminders')),
    sa.UniqueConstraint('user_id', 'period', name='uq_talk_reminder')
    )
    op.create_table('talks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('held_by_id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('place', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False),
    sa.Column('void_reason', sa.String(length=200), nullable=False),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['held_by_id'], ['users.id'], name=op.f('fk_talks_held_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_talks_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talks'))
    )
    with op.batch_alter_table('talks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talks_held_by_id'), ['held_by_id'], unique=False)
        batch_op.create_index('ix_talks_org_held_on', ['organization_id', 'held_on'], unique=False)

    op.create_table('volunteer_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('activity', sa.String(length=100), nullable=False),
    sa.Column('served_on', sa.Date(), nullable=False),
    sa.Column('hours_tenths', sa.Integer(), nullable=False),
    sa.Column('organizer', sa.String(length=100), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('hours_tenths > 0', name=op.f('ck_volunteer_records_ck_volunteer_hours_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_volunteer_records_member_id_members')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_volunteer_records_organization_id_organizations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_volunteer_records_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_volunteer_records'))
    )
    with op.batch_alter_table('volunteer_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_volunteer_records_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_volunteer_records_organization_id'), ['organization_id'], unique=False)

    op.create_table('pairing_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pairing_id', sa.Integer(), nullable=False),
    sa.Column('contacted_on', sa.Date(), nullable=False),
    sa.Column('way', sa.String(length=32), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['pairing_id'], ['pairings.id'], name=op.f('fk_pairing_contacts_pairing_id_pairings')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_pairing_contacts_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pairing_contacts'))
    )
    with op.batch_alter_table('pairing_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pairing_contacts_pairing_id'), ['pairing_id'], unique=False)

    op.create_table('talk_participants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('talk_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('branch_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['branch_id'], ['organizations.id'], name=op.f('fk_talk_participants_branch_id_organizations')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_talk_participants_member_id_members')),
    sa.ForeignKeyConstraint(['talk_id'], ['talks.id'], name=op.f('fk_talk_participants_talk_id_talks')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_talk_participants')),
    sa.UniqueConstraint('talk_id', 'member_id', name='uq_talk_participant')
    )
    with op.batch_alter_table('talk_participants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_talk_participants_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_talk_participants_talk_id'), ['talk_id'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link', sa.String(length=255), server_default='', nullable=False))
        batch_op.alter_column('request_id',
               existing_type=sa.INTEGER(),
               nullable=True)

    with op.batch_alter_table('notification_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject', sa.String(length=100), server_default='', nullable=False))
        batch_op.add_column(sa.Column('link', sa.String(length=255), server_default='', nullable=False))
        batch_op.alter_column('request_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade():
    # Notices have no request: they cannot survive request_id becoming required again.
    op.execute("DELETE FROM messages WHERE request_id IS NULL")
    op.execute("DELETE FROM notification_events WHERE request_id IS NULL")
    with op.batch_alter_table('notification_events', schema=None) as batch_op:
        batch_op.alter_column('request_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('link')
        batch_op.drop_column('subject')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.alter_column('request_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('link')

    with op.batch_alter_table('talk_participants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_participants_talk_id'))
        batch_op.drop_index(batch_op.f('ix_talk_participants_member_id'))

    op.drop_table('talk_participants')
    with op.batch_alter_table('pairing_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairing_contacts_pairing_id'))

    op.drop_table('pairing_contacts')
    with op.batch_alter_table('volunteer_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_volunteer_records_organization_id'))
        batch_op.drop_index(batch_op.f('ix_volunteer_records_member_id'))

    op.drop_table('volunteer_records')
    with op.batch_alter_table('talks', schema=None) as batch_op:
        batch_op.drop_index('ix_talks_org_held_on')
        batch_op.drop_index(batch_op.f('ix_talks_held_by_id'))

    op.drop_table('talks')
    op.drop_table('talk_reminders')
    with op.batch_alter_table('talk_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_talk_links_member_id'))
        batch_op.drop_index('ix_talk_links_leader')
        batch_op.drop_index(batch_op.f('ix_talk_links_branch_id'))

    op.drop_table('talk_links')
    with op.batch_alter_table('pairings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pairings_organization_id'))
        batch_op.drop_index('ix_pairings_member')
        batch_op.drop_index('ix_pairings_helper')

    op.drop_table('pairings')
