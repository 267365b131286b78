"""issue 10 §7 党务公开 (openness_items) and §8 §四: payments recorded by 组织部 (budget_payments),
units' own funds (unit_fund_entries), award rewards per cycle and category (award_rewards)

Revision ID: 4ac57c893ea4
Revises: db1c9c96c8cb
Create Date: 2026-11-30 04:32:47.095542

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4ac57c893ea4'
down_revision = 'db1c9c96c8cb'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('openness_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawn_by_id', sa.Integer(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_openness_items_created_by_id_users')),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_openness_items_organization_id_organizations')),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_openness_items_published_by_id_users')),
    sa.ForeignKeyConstraint(['withdrawn_by_id'], ['users.id'], name=op.f('fk_openness_items_withdrawn_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_openness_items'))
    )
    with op.batch_alter_table('openness_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_openness_items_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_openness_items_status'), ['status'], unique=False)

    op.create_table('award_rewards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('cycle_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['cycle_id'], ['award_cycles.id'], name=op.f('fk_award_rewards_cycle_id_award_cycles')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award_rewards')),
    sa.UniqueConstraint('cycle_id', 'category', name='uq_award_reward_cell')
    )
    with op.batch_alter_table('award_rewards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_rewards_cycle_id'), ['cycle_id'], unique=False)

    op.create_table('budget_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=False),
    sa.Column('payer', sa.String(length=50), nullable=False),
    sa.Column('voucher_no', sa.String(length=50), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['budget_lines.id'], name=op.f('fk_budget_payments_line_id_budget_lines')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_budget_payments_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_budget_payments_request_id_requests')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_budget_payments')),
    sa.UniqueConstraint('request_id', name=op.f('uq_budget_payments_request_id'))
    )
    with op.batch_alter_table('budget_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_budget_payments_line_id'), ['line_id'], unique=False)

    op.create_table('unit_fund_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organization_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('line_kind', sa.String(length=32), nullable=True),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('summary', sa.String(length=200), nullable=False),
    sa.Column('voucher_no', sa.String(length=50), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('voided_at', sa.DateTime(), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_unit_fund_entries_organization_id_organizations')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_unit_fund_entries_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['request_id'], ['requests.id'], name=op.f('fk_unit_fund_entries_request_id_requests')),
    sa.ForeignKeyConstraint(['voided_by_id'], ['users.id'], name=op.f('fk_unit_fund_entries_voided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_fund_entries'))
    )
    with op.batch_alter_table('unit_fund_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_fund_entries_organization_id'), ['organization_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_fund_entries_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_fund_entries_year'), ['year'], unique=False)



def downgrade():
    with op.batch_alter_table('unit_fund_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_fund_entries_year'))
        batch_op.drop_index(batch_op.f('ix_unit_fund_entries_request_id'))
        batch_op.drop_index(batch_op.f('ix_unit_fund_entries_organization_id'))

    op.drop_table('unit_fund_entries')
    with op.batch_alter_table('budget_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_budget_payments_line_id'))

    op.drop_table('budget_payments')
    with op.batch_alter_table('award_rewards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_rewards_cycle_id'))

    op.drop_table('award_rewards')
    with op.batch_alter_table('openness_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_openness_items_status'))
        batch_op.drop_index(batch_op.f('ix_openness_items_organization_id'))

    op.drop_table('openness_items')
