"""§四 completed (issue 10 §8): 组织部 records the payment of an approved allowance batch and of a
money award (登记发放: date, payer, voucher) and the reservation moves to spent; awards with a reward
use the 表彰奖励 line; a secondary unit keeps the ledger of its own funds beside the school's."""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian import budget, unit_funds
from dangjian.extensions import db
from dangjian.models import (BudgetEntry, BudgetLineKind, Payment, RequestState, TimelineEntry, UnitFundEntry,
                             UnitFundKind)
from dangjian.request_types.award_nomination.publicity import handle_objection, publish_cycle, settle_cycle, file_objection
from dangjian.request_types.award_nomination.rewards import set_rewards
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, AlreadyHandled, apply_action, available_actions
from tests.factories import approve
from tests.factories_allowance import YEAR, allowance_world, new_batch
from tests.factories_award import MEMBER, add_award_people, decided, make_cycle
from tests.factories_condolence import new_condolence, payment_payload, set_budget, setup_settings

TODAY = local_today()
PAID = Action.RECORD_PAID


def paid_payload(amount=None, voucher="记-2026-0318", payer="马丽（财务处）", on=None) -> dict:
    return {"paid_on": on or TODAY, "payer": payer, "voucher_no": voucher,
            "amount": Decimal(amount) if amount is not None else None}


def approved_batch(o):
    allowance_world(o)
    batch = new_batch(o.sec_a, o.secondary)
    apply_action(batch, o.org_dept2, Action.APPROVE, opinion="核定。")
    apply_action(batch, o.school_user2 if hasattr(o, "school_user2") else o.school_user, Action.APPROVE, opinion="同意。")
    db.session.expire_all()
    assert batch.state is RequestState.APPROVED
    return batch


def line(kind, year):
    db.session.expire_all()
    return budget.line_for(year, kind)


# --- the allowance batch ----------------------------------------------------------------------------

def test_the_allowance_is_recorded_paid_and_its_reservation_is_spent(app, org):
    batch = approved_batch(org)
    total = batch.amount
    before = line(BudgetLineKind.ALLOWANCE, YEAR)
    assert before.reserved == total and before.spent == 0
    apply_action(batch, org.org_dept2, PAID, payload=paid_payload())
    db.session.expire_all()
    after = line(BudgetLineKind.ALLOWANCE, YEAR)
    assert (after.reserved, after.spent) == (0, total)
    assert batch.state is RequestState.COMPLETED and batch.closed_at is not None
    p = db.session.scalars(select(Payment).where(Payment.request_id == batch.id)).one()
    assert (p.amount, p.voucher_no, p.payer, p.paid_on, p.recorded_by_id) == (
        total, "记-2026-0318", "马丽（财务处）", TODAY, org.org_dept2.id)
    entry = batch.timeline[-1]
    assert entry.action == "record_paid" and "凭证号 记-2026-0318" in entry.detail
    # Paid once: the button is gone, a second record is refused.
    assert PAID not in available_actions(batch, org.org_dept2)
    with pytest.raises(ActionRefused):
        apply_action(batch, org.org_dept2, PAID, payload=paid_payload())


# (actor, allowed): 组织部 records; a 组织部 holder the batch pays is recused; nobody else.
@pytest.mark.parametrize("actor,allowed", [
    ("org_dept2", True), ("secondary", False), ("school_user2", False), ("supervisor", False), ("secretary", False),
])
def test_who_records_the_allowance_payment(app, org, actor, allowed):
    batch = approved_batch(org)
    assert (PAID in available_actions(batch, getattr(org, actor))) is allowed


def test_a_payment_above_the_reservation_is_refused_and_a_lower_one_releases_the_rest(app, org):
    batch = approved_batch(org)
    total = batch.amount
    with pytest.raises(ActionRefused, match="不能超过预留金额"):
        apply_action(batch, org.org_dept2, PAID, payload=paid_payload(total + 1))
    with pytest.raises(ActionRefused, match="请填写凭证号"):
        apply_action(batch, org.org_dept2, PAID, payload=paid_payload(voucher=" "))
    with pytest.raises(ActionRefused, match="发放日期不能晚于今天"):
        apply_action(batch, org.org_dept2, PAID, payload=paid_payload(on=TODAY + timedelta(days=1)))
    db.session.expire_all()
    assert batch.state is RequestState.APPROVED and line(BudgetLineKind.ALLOWANCE, YEAR).spent == 0
    apply_action(batch, org.org_dept2, PAID, payload=paid_payload(total - 100))
    after = line(BudgetLineKind.ALLOWANCE, YEAR)
    assert (after.reserved, after.spent) == (0, total - 100)


def test_two_clicks_record_one_payment(app, org):
    batch = approved_batch(org)
    seen = batch.version
    apply_action(batch, org.org_dept2, PAID, payload=paid_payload(), seen_version=seen)
    with pytest.raises(AlreadyHandled):
        apply_action(batch, org.org_dept2, PAID, payload=paid_payload(), seen_version=seen)
    assert db.session.scalar(select(func.count(Payment.id))) == 1


def test_the_payment_form_on_the_request_page(app, org, auth, client):
    batch = approved_batch(org)
    auth.login(org.org_dept2)
    page = client.get(f"/requests/{batch.id}").get_data(as_text=True)
    assert "登记发放" in page and 'hx-confirm="确认登记发放吗' in page
    resp = client.post(f"/requests/{batch.id}/paid", data={"paid_on": TODAY.isoformat(), "payer": "", "voucher_no": "",
                                                          "amount": str(batch.amount), "version": batch.version})
    text = resp.get_data(as_text=True)
    assert "请填写经办人" in text and "请填写凭证号" in text
    resp = client.post(f"/requests/{batch.id}/paid", data={"paid_on": TODAY.isoformat(), "payer": "马丽",
                                                          "voucher_no": "记-0318", "amount": str(batch.amount),
                                                          "version": batch.version})
    assert "已登记发放" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert batch.state is RequestState.COMPLETED
    auth.login(org.member_b)  # out of scope
    assert client.post(f"/requests/{batch.id}/paid", data={}).status_code == 404


# --- awards that carry money ------------------------------------------------------------------------

def award_world(o, reward="1000.00", budget_amount="5000.00"):
    add_award_people(o)
    cycle = make_cycle(o, categories=(MEMBER,))
    set_rewards(cycle.id, o.org_dept_user, {MEMBER: Decimal(reward)})
    if budget_amount is not None:
        set_budget(budget_amount, year=cycle.year, kind=BudgetLineKind.AWARD)
    return cycle


def test_a_money_award_reserves_on_decision_and_is_spent_when_paid(app, org):
    cycle = award_world(org)
    req = decided(org, cycle, member_user=org.member2)
    award_line = line(BudgetLineKind.AWARD, cycle.year)
    assert award_line.reserved == Decimal("1000.00")
    assert "预留奖励 ¥1,000.00" in req.timeline[-1].detail
    # Not before it is awarded.
    assert PAID not in available_actions(req, org.org_dept_user)
    publish_cycle(cycle.id, org.org_dept_user)
    db.session.expire_all()
    settle_cycle(cycle.id, now=cycle.publicity_ends_at + timedelta(minutes=1))
    db.session.expire_all()
    assert req.state is RequestState.AWARDED
    closed = req.closed_at
    # The nominee, were they 组织部, would be recused; 组织部 records the payment.
    apply_action(req, org.org_dept_user, PAID, payload=paid_payload())
    db.session.expire_all()
    assert req.state is RequestState.AWARDED and req.closed_at == closed
    award_line = line(BudgetLineKind.AWARD, cycle.year)
    assert (award_line.reserved, award_line.spent) == (0, Decimal("1000.00"))


def test_an_upheld_objection_releases_the_award_money(app, org):
    cycle = award_world(org)
    req = decided(org, cycle, member_user=org.member2)
    publish_cycle(cycle.id, org.org_dept_user)
    objection = file_objection(req.id, org.member_b, "事迹与实际不符。")
    handle_objection(objection.id, org.org_dept_user, True, "经核实，异议成立。")
    award_line = line(BudgetLineKind.AWARD, cycle.year)
    assert (award_line.reserved, award_line.spent) == (0, 0)
    db.session.expire_all()
    assert req.state is RequestState.REVOKED


def test_org_dept_review_is_refused_when_the_award_line_cannot_pay(app, org):
    from tests.factories_award import forward, nominate

    cycle = award_world(org, budget_amount="500.00")
    req = nominate(cycle, org.secretary, member_user=org.member2)
    forward(req, org.secondary)
    with pytest.raises(ActionRefused, match="「表彰奖励」校级预算余额不足"):
        apply_action(req, org.org_dept_user, Action.APPROVE, opinion="同意。")


def test_an_award_without_reward_touches_no_budget(app, org):
    add_award_people(org)
    cycle = make_cycle(org, categories=(MEMBER,))
    req = decided(org, cycle, member_user=org.member2)
    assert db.session.scalar(select(func.count(BudgetEntry.id)).where(BudgetEntry.request_id == req.id)) == 0
    assert PAID not in available_actions(req, org.org_dept_user)


def test_rewards_are_fixed_once_the_school_has_decided(app, org):
    cycle = award_world(org)
    decided(org, cycle, member_user=org.member2)
    with pytest.raises(ActionRefused, match="奖励标准不能再修改"):
        set_rewards(cycle.id, org.org_dept_user, {MEMBER: Decimal("2000.00")})
    with pytest.raises(ActionRefused, match="只有党委组织部"):
        set_rewards(cycle.id, org.secondary, {MEMBER: Decimal("2000.00")})


# --- the units' own funds ---------------------------------------------------------------------------

def test_a_unit_keeps_its_ledger_and_voids_with_a_reason(app, org, auth, client):
    auth.login(org.secondary)
    url = f"/budget/units/{org.sec_a.id}"
    resp = client.post(url, data={"entry-kind": "income", "entry-line_kind": "", "entry-amount": "20000",
                                  "entry-occurred_on": TODAY.isoformat(), "entry-summary": "学校下拨党建活动经费"})
    assert resp.status_code == 302
    resp = client.post(url, data={"entry-kind": "expense", "entry-line_kind": "award", "entry-amount": "abc",
                                  "entry-occurred_on": TODAY.isoformat(), "entry-summary": ""})
    text = resp.get_data(as_text=True)
    assert "金额格式不正确" in text and "请填写摘要" in text
    client.post(url, data={"entry-kind": "expense", "entry-line_kind": "award", "entry-amount": "1500",
                           "entry-occurred_on": TODAY.isoformat(), "entry-summary": "学院优秀党员表彰奖励"})
    totals = unit_funds.totals(TODAY.year)[org.sec_a.id]
    assert (totals["income"], totals["expense"], totals["balance"]) == (Decimal("20000.00"), Decimal("1500.00"),
                                                                       Decimal("18500.00"))
    wrong = db.session.scalars(select(UnitFundEntry).where(UnitFundEntry.kind == UnitFundKind.EXPENSE)).one()
    client.post(f"/budget/units/entries/{wrong.id}/void", data={"reason": ""})
    assert unit_funds.totals(TODAY.year)[org.sec_a.id]["expense"] == Decimal("1500.00")
    client.post(f"/budget/units/entries/{wrong.id}/void", data={"reason": "金额录错，重新登记"})
    assert unit_funds.totals(TODAY.year)[org.sec_a.id]["expense"] == 0
    with pytest.raises(ActionRefused, match="已被他人处理"):
        unit_funds.void_entry(wrong.id, org.secondary, "再冲销一次")
    # Beside the school's budget: 组织部 and 纪委 read it there.
    auth.login(org.supervisor)
    page = client.get("/budget/").get_data(as_text=True)
    assert "二级党组织自有经费" in page and "会计学院党委" in page and "¥20,000.00" in page


@pytest.mark.parametrize("user,get,post", [
    ("secondary", 200, 302), ("org_dept_user", 200, 404), ("supervisor", 200, 404),
    ("secondary_b", 404, 404), ("secretary", 404, 404), ("member", 404, 404), ("sysadmin", 404, 404),
])
def test_who_reads_and_records_a_units_ledger(app, org, auth, client, user, get, post):
    auth.login(getattr(org, user))
    url = f"/budget/units/{org.sec_a.id}"
    assert client.get(url).status_code == get
    resp = client.post(url, data={"entry-kind": "income", "entry-line_kind": "", "entry-amount": "100",
                                  "entry-occurred_on": TODAY.isoformat(), "entry-summary": "收入"})
    assert resp.status_code == post
    assert db.session.scalar(select(func.count(UnitFundEntry.id))) == (1 if post == 302 else 0)


def test_a_unit_funded_condolence_payment_enters_the_units_ledger(app, org):
    setup_settings(org)
    req = new_condolence(org.member, org.secretary)
    approve(req, org.secondary)
    db.session.expire_all()
    apply_action(req, org.secretary, Action.RECORD_PAYMENT, payload=payment_payload(req))
    entry = db.session.scalars(select(UnitFundEntry)).one()
    assert (entry.organization_id, entry.kind, entry.line_kind, entry.amount, entry.request_id) == (
        org.sec_a.id, UnitFundKind.EXPENSE, BudgetLineKind.CONDOLENCE, req.amount, req.id)
    with pytest.raises(ActionRefused, match="自动记入"):
        unit_funds.void_entry(entry.id, org.secondary, "试图冲销")
    assert db.session.scalar(select(func.count(TimelineEntry.id)).where(
        TimelineEntry.request_id == req.id, TimelineEntry.detail.contains("自有经费支出"))) == 1
