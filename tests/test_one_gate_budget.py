"""书记补贴 budget (issue 8 §9, §四 经费保障): warned about when the unit starts its batch, checked at
组织部核定 (the step before 校党委, as 慰问金's 组织部审核 checks its line), reserved at the final
approval. A batch no longer passes 核定 for a year without a 书记补贴 line only to be refused at 校党委.

会计学院党委's 2025 batch (tests/factories_allowance.py) pays one branch: ¥3,000.00.
"""
from decimal import Decimal as D

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import BudgetLine, BudgetLineKind, RequestState, TimelineEntry
from dangjian.workflow import Action, ActionRefused, apply_action
from tests.factories_allowance import YEAR, adjust_payload, allowance_world, budget_line, new_batch

A = Action.APPROVE


def _line():
    return db.session.scalar(select(BudgetLine).where(BudgetLine.year == YEAR,
                                                      BudgetLine.kind == BudgetLineKind.ALLOWANCE))


def _refused_at_verification(req, user) -> str:
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, user, A, opinion="核定无误")
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.current_step, req.version) == (RequestState.PENDING, "org_dept", 1)
    return exc.value.message


def test_verification_is_refused_for_a_year_without_an_allowance_line(app, org):
    allowance_world(org, budget=None)
    req = new_batch(org.sec_a, org.secondary)
    assert _refused_at_verification(req, org.org_dept_user) == (
        "2025年度「书记补贴」校级预算尚未设置，请先在「经费预算」中设置后再核定")


def test_verification_is_refused_when_the_line_cannot_pay_the_batch(app, org):
    allowance_world(org, budget="2000.00")
    req = new_batch(org.sec_a, org.secondary)
    assert _refused_at_verification(req, org.org_dept_user) == (
        "2025年度「书记补贴」校级预算余额不足：本批次 ¥3,000.00，当前余额 ¥2,000.00")


def test_a_line_that_can_pay_lets_the_batch_through_and_reserves_nothing_yet(app, org):
    allowance_world(org, budget="3000.00")
    req = new_batch(org.sec_a, org.secondary)
    entry = apply_action(req, org.org_dept_user, A, opinion="核定无误")
    assert (req.state, req.current_step) == (RequestState.PENDING, "school")
    assert db.session.get(TimelineEntry, entry.id).detail == "经费核查：2025年度「书记补贴」校级预算余额足以支付本批次"
    assert _line().reserved == D("0.00")  # the final approval reserves
    apply_action(req, org.school_user2, A, opinion="同意")
    assert req.state is RequestState.APPROVED and _line().reserved == D("3000.00")


def test_the_adjusted_total_is_what_verification_checks(app, org):
    allowance_world(org, budget="2400.00")
    req = new_batch(org.sec_a, org.secondary)
    apply_action(req, org.org_dept_user, Action.ADJUST,
                 payload=adjust_payload(req.lines[0], amount="2400.00", reward="0.00"))
    apply_action(req, org.org_dept_user, A, opinion="核定无误")
    assert req.current_step == "school"


def test_the_unit_is_warned_when_it_starts_the_batch_and_may_still_submit(app, org, auth, client):
    allowance_world(org, budget=None)
    auth.login(org.secondary)
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert 'id="allowance-budget-warning"' in page
    assert "经费提醒：</strong>2025年度「书记补贴」校级预算尚未设置。可以提交，但组织部核定时须有足够的校级预算" in page
    resp = client.post("/secretary-allowances/new", data={"unit_id": org.sec_a.id, "year": YEAR})
    assert resp.status_code == 302


def test_the_warning_names_the_shortfall_and_goes_away_with_enough_budget(app, org, auth, client):
    allowance_world(org, budget="1000.00")
    auth.login(org.secondary)
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert "2025年度「书记补贴」校级预算余额不足：本批次 ¥3,000.00，当前余额 ¥1,000.00" in page
    line = _line()
    line.amount = D("3000.00")
    db.session.commit()
    page = client.get(f"/secretary-allowances/new?year={YEAR}").get_data(as_text=True)
    assert "allowance-budget-warning" not in page


def test_org_dept_sees_the_years_line_on_the_batch_and_the_unit_does_not(app, org, auth, client):
    allowance_world(org, budget="2000.00")
    req = new_batch(org.sec_a, org.secondary)
    auth.login(org.org_dept_user)
    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert "2025年度「书记补贴」余额 <strong>¥2,000.00</strong>" in page and "余额不足" in page
    auth.login(org.secondary)
    assert "校级预算" not in client.get(f"/requests/{req.id}").get_data(as_text=True)


def test_org_dept_sees_that_the_line_is_not_set(app, org, auth, client):
    allowance_world(org, budget=None)
    req = new_batch(org.sec_a, org.secondary)
    auth.login(org.org_dept_user)
    assert "2025年度「书记补贴」校级预算尚未设置" in client.get(f"/requests/{req.id}").get_data(as_text=True)
    budget_line(YEAR, "5000.00")
    assert "余额 <strong>¥5,000.00</strong>" in client.get(f"/requests/{req.id}").get_data(as_text=True)
