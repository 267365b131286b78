"""慰问金 as a table: state × user × action → allowed (next state and step) or refused.

Steps (§三(二)2, DOMAIN): the level that starts a request signs it by submitting; the other level
acts. Started by the branch → 二级党组织审批; started by the secondary unit → 党支部核实. A request that is
school-funded, or above 组织部's threshold, then goes on to 组织部 (budget check) → 校党委; a 直属党支部
always does. After approval the branch (or the initiator) records the visit and the payment (→ 已完成),
or cancels (→ 已取消). Recusal (回避): nobody acts where they are the initiator or the beneficiary.
"""
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, BudgetEntry, Document, RequestState, Role, TimelineEntry
from dangjian.request_types.condolence.model import (CondolenceCategory, FundingSource, InitiatorLevel,
                                                     PayeeKind, set_threshold)
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, apply_action, available_actions
from tests.delegation_support import delegate, transfer_kw
from tests.workflow_table import check_case, ok, refused
from tests.factories_condolence import budget_line, new_condolence, payment_payload, set_budget, setup_settings

A, R, RET, W, S = Action.APPROVE, Action.REJECT, Action.RETURN, Action.WITHDRAW, Action.SUBMIT
PAY, CANCEL, DEL = Action.RECORD_PAYMENT, Action.CANCEL, Action.DELETE_DRAFT
TB = Action.TAKE_BACK
AB = Action.ABANDON
TR = Action.TRANSFER
P = RequestState.PENDING
SCHOOL, UNIT = FundingSource.SCHOOL, FundingSource.UNIT


@pytest.fixture
def o(app, org):
    setup_settings(org)
    set_budget("10000.00")
    return org


def act(req, user, action, **kw):
    """Apply `action` with what a valid form would send."""
    if action is TR:
        kw = transfer_kw(kw)
    if action in (R, RET, CANCEL, AB):
        kw.setdefault("opinion", f"{action.label}的意见")
    if action is A:
        kw.setdefault("opinion", "同意")
    if action is PAY:
        kw.setdefault("payload", payment_payload(req))
    return apply_action(req, user, action, **kw)


def approve_all(req, *users):
    for user in users:
        act(req, user, A)
    return req


# Scenarios: how the request got to where the case starts. Each returns the request.
SCENARIOS = {
    # Started by the branch secretary, unit-funded at the standard (= the threshold): 二级党组织 decides.
    "branch_unit": lambda o: new_condolence(o.member, o.secretary),
    "branch_unit_over_threshold": lambda o: new_condolence(o.member, o.secretary, amount="1500.00"),
    "school_at_org_dept": lambda o: approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL), o.secondary),
    "school_at_school": lambda o: approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL),
                                              o.secondary, o.org_dept_user),
    "school_approved": lambda o: approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL),
                                             o.secondary, o.org_dept_user, o.school_user),
    "unit_approved": lambda o: approve_all(new_condolence(o.member, o.secretary), o.secondary),
    # Started by the secondary unit: the member's branch confirms.
    "secondary_started": lambda o: new_condolence(o.member, o.secondary),
    "secondary_started_approved": lambda o: approve_all(new_condolence(o.member, o.secondary), o.committee),
    # 直属党支部: always school-funded, no secondary level.
    "direct": lambda o: new_condolence(o.direct_member, o.direct_secretary, funding=SCHOOL),
    # 回避: a branch holder is the beneficiary; the secondary unit's own member is the beneficiary.
    "committee_beneficiary_approved": lambda o: approve_all(new_condolence(o.committee, o.secretary), o.secondary),
    "secondary_beneficiary": lambda o: new_condolence(o.secondary, o.secretary),
    "rejected": lambda o: _then(new_condolence(o.member, o.secretary), o.secondary, R),
    "returned": lambda o: _then(new_condolence(o.member, o.secretary), o.secondary, RET),
    "withdrawn": lambda o: _then(new_condolence(o.member, o.secretary), o.secretary, W),
    "secondary_started_returned": lambda o: _then(new_condolence(o.member, o.secondary), o.secretary, RET),
    "abandoned": lambda o: _then(_then(new_condolence(o.member, o.secretary), o.secondary, RET), o.secretary, AB),
    "draft": lambda o: new_condolence(o.member, o.secretary, submit=False),
    # The gate: a draft 七一 visit while the member already has one this year (filed by the unit).
    "second_july_first": lambda o: _second_july_first(o),
    "completed": lambda o: _then(approve_all(new_condolence(o.member, o.secretary), o.secondary), o.secretary, PAY),
    "cancelled": lambda o: _then(approve_all(new_condolence(o.member, o.secretary), o.secondary), o.secretary, CANCEL),
    # 委托代理: 陈组织员 named 张堃 (member2) deputy for the secondary role.
    "branch_unit_delegated": lambda o: _delegated(new_condolence(o.member, o.secretary), o),
    "deputy_beneficiary": lambda o: _delegated(new_condolence(o.member2, o.secretary), o),
}


def _second_july_first(o):
    new_condolence(o.member, o.secondary, category=CondolenceCategory.JULY_FIRST)
    draft = new_condolence(o.member, o.secretary, category=CondolenceCategory.JULY_FIRST, submit=False)
    return draft


# Refused by the workflow's gate (on_transition), after the lock: the button still shows.
GATED = {"second_july_first"}


def _delegated(req, o):
    delegate(o.secondary, o.member2, role=Role.SECONDARY)
    return req


def _then(req, user, action):
    act(req, user, action)
    return req


NOT_HOLDER = "您不是当前审批环节的处理人"
RECUSED_INITIATOR = "您是本申请的发起人，按回避规定不能审批本申请"
RECUSED_BENEFICIARY = "您是本申请的受益人，按回避规定不能审批本申请"
NO_RIGHT_PAY = "您无权登记走访发放"
NO_RIGHT_CANCEL = "您无权取消"

CASES = [
    # Branch-started, unit-funded, not above the threshold: ends at the secondary unit.
    ("branch_unit", "secondary", A, {}, ok(RequestState.APPROVED)),
    ("branch_unit", "secondary", R, {}, ok(RequestState.REJECTED)),
    ("branch_unit", "secondary", RET, {}, ok(RequestState.RETURNED)),
    ("branch_unit", "secretary", W, {}, ok(RequestState.WITHDRAWN)),
    ("branch_unit", "committee", W, {}, refused("只有发起人可以撤回")),
    ("branch_unit", "secretary", A, {}, refused(NOT_HOLDER)),  # the branch proposed: no branch step
    ("branch_unit", "committee", A, {}, refused(NOT_HOLDER)),
    ("branch_unit", "member", A, {}, refused(NOT_HOLDER)),
    ("branch_unit", "secretary_a2", A, {}, refused(NOT_HOLDER)),
    ("branch_unit", "secondary_b", A, {}, refused(NOT_HOLDER)),  # another unit
    ("branch_unit", "org_dept_user", A, {}, refused(NOT_HOLDER)),
    ("branch_unit", "school_user", A, {}, refused(NOT_HOLDER)),
    ("branch_unit", "supervisor", A, {}, refused(NOT_HOLDER)),  # 纪委 reads, changes nothing
    ("branch_unit", "sysadmin", A, {}, refused(NOT_HOLDER)),
    ("branch_unit", "secretary", PAY, {}, refused("不能登记走访发放")),
    ("branch_unit", "secretary", CANCEL, {}, refused("不能取消")),
    ("branch_unit", "secretary", S, {}, refused("不能提交")),
    # Above the threshold, even unit-funded: goes on after the secondary unit.
    ("branch_unit_over_threshold", "secondary", A, {}, ok(P, "org_dept")),
    # School-funded: 组织部 (budget check) → 校党委.
    ("school_at_org_dept", "org_dept_user", A, {}, ok(P, "school")),
    ("school_at_org_dept", "org_dept_user", R, {}, ok(RequestState.REJECTED)),
    ("school_at_org_dept", "org_dept_user", RET, {"return_to": "secondary"}, ok(P, "secondary")),
    ("school_at_org_dept", "org_dept_user", RET, {"return_to": "branch"}, refused("只能退回到之前的审批环节")),
    ("school_at_org_dept", "secondary", A, {}, refused(NOT_HOLDER)),
    ("school_at_org_dept", "school_user", A, {}, refused(NOT_HOLDER)),
    ("school_at_org_dept", "secretary", W, {}, ok(RequestState.WITHDRAWN)),
    ("school_at_school", "school_user", A, {}, ok(RequestState.APPROVED)),
    ("school_at_school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    ("school_at_school", "school_user", R, {}, ok(RequestState.REJECTED)),
    ("school_at_school", "school_user", RET, {"return_to": "org_dept"}, ok(P, "org_dept")),
    ("school_at_school", "org_dept_user", A, {}, refused(NOT_HOLDER)),
    # After approval: the branch (any holder) or the initiator records the payment, or cancels.
    ("school_approved", "secretary", PAY, {}, ok(RequestState.COMPLETED)),
    ("school_approved", "committee", PAY, {}, ok(RequestState.COMPLETED)),
    ("school_approved", "secretary", CANCEL, {}, ok(RequestState.CANCELLED)),
    ("school_approved", "committee", CANCEL, {}, ok(RequestState.CANCELLED)),
    ("school_approved", "secondary", PAY, {}, refused(NO_RIGHT_PAY)),
    ("school_approved", "org_dept_user", PAY, {}, refused(NO_RIGHT_PAY)),
    ("school_approved", "member", PAY, {}, refused(NO_RIGHT_PAY)),
    ("school_approved", "secretary_a2", PAY, {}, refused(NO_RIGHT_PAY)),
    ("school_approved", "supervisor", CANCEL, {}, refused(NO_RIGHT_CANCEL)),
    ("school_approved", "school_user", A, {}, refused("不能同意")),
    ("school_approved", "secretary", W, {}, refused("不能撤回")),
    ("unit_approved", "secretary", PAY, {}, ok(RequestState.COMPLETED)),
    # Started by the secondary unit: the branch confirms (either holder); the initiator cannot.
    ("secondary_started", "secretary", A, {}, ok(RequestState.APPROVED)),
    ("secondary_started", "committee", A, {}, ok(RequestState.APPROVED)),
    ("secondary_started", "committee", R, {}, ok(RequestState.REJECTED)),
    ("secondary_started", "secondary", A, {}, refused(NOT_HOLDER)),
    ("secondary_started", "secretary_a2", A, {}, refused(NOT_HOLDER)),
    ("secondary_started", "secondary", W, {}, ok(RequestState.WITHDRAWN)),
    ("secondary_started", "secretary", W, {}, refused("只有发起人可以撤回")),
    ("secondary_started_approved", "secondary", PAY, {}, ok(RequestState.COMPLETED)),  # the initiator
    ("secondary_started_approved", "secretary", PAY, {}, ok(RequestState.COMPLETED)),  # the branch
    ("secondary_started_approved", "secondary_b", PAY, {}, refused(NO_RIGHT_PAY)),
    # 直属党支部: branch (submission) → 组织部 → 校党委.
    ("direct", "org_dept_user", A, {}, ok(P, "school")),
    ("direct", "direct_secretary", A, {}, refused(NOT_HOLDER)),
    ("direct", "secondary", A, {}, refused(NOT_HOLDER)),
    ("direct", "direct_secretary", W, {}, ok(RequestState.WITHDRAWN)),
    # 回避.
    ("committee_beneficiary_approved", "committee", PAY, {}, refused("您是本申请的受益人")),
    ("committee_beneficiary_approved", "committee", CANCEL, {}, refused("您是本申请的受益人")),
    ("committee_beneficiary_approved", "secretary", PAY, {}, ok(RequestState.COMPLETED)),
    ("secondary_beneficiary", "secondary", A, {}, refused(RECUSED_BENEFICIARY)),
    ("secondary_beneficiary", "secondary", R, {}, refused(RECUSED_BENEFICIARY)),
    # Ended, returned, withdrawn, draft.
    ("rejected", "secretary", S, {}, refused("不能提交")),
    ("rejected", "secretary", PAY, {}, refused("不能登记走访发放")),
    ("returned", "secretary", S, {}, ok(P, "secondary")),
    ("returned", "committee", S, {}, refused("只有发起人可以提交")),
    ("withdrawn", "secretary", S, {}, ok(P, "secondary")),
    ("draft", "secretary", S, {}, ok(P, "secondary")),
    ("draft", "secondary", A, {}, refused("不能同意")),
    ("draft", "secretary", PAY, {}, refused("不能登记走访发放")),
    ("second_july_first", "secretary", S, {}, refused("已有七一走访慰问")),
    # 删除草稿: the initiator, a draft only (the deletion itself: test_one_gate_drafts.py).
    ("draft", "committee", DEL, {}, refused("只有发起人可以删除草稿")),
    ("draft", "secondary", DEL, {}, refused("只有发起人可以删除草稿")),
    ("branch_unit", "secretary", DEL, {}, refused("申请当前为「审批中」状态，不能删除草稿")),
    ("returned", "secretary", DEL, {}, refused("不能删除草稿")),
    ("withdrawn", "secretary", DEL, {}, refused("不能删除草稿")),
    ("rejected", "secretary", DEL, {}, refused("不能删除草稿")),
    ("completed", "secretary", PAY, {}, refused("不能登记走访发放")),
    ("completed", "secretary", CANCEL, {}, refused("不能取消")),
    ("cancelled", "secretary", PAY, {}, refused("不能登记走访发放")),
    ("cancelled", "secretary", S, {}, refused("不能提交")),
    # 取回 until the next step acts; an approval that reserved the budget is final.
    ("school_at_org_dept", "secondary", TB, {}, ok(P, "secondary")),
    ("school_at_org_dept", "secretary", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("school_at_school", "org_dept_user", TB, {}, ok(P, "org_dept")),
    ("school_at_school", "secondary", TB, {}, refused("下一环节已经处理，不能取回")),
    ("school_approved", "school_user", TB, {}, refused("不能取回")),
    ("unit_approved", "secondary", TB, {}, refused("不能取回")),
    ("secondary_started_approved", "committee", TB, {}, refused("不能取回")),
    # 代为处理 (委托代理), and the recusal of the deputy.
    ("branch_unit_delegated", "member2", A, {}, ok(RequestState.APPROVED)),
    ("branch_unit_delegated", "member2", RET, {}, ok(RequestState.RETURNED)),
    ("deputy_beneficiary", "member2", A, {}, refused(RECUSED_BENEFICIARY)),
    # No request stuck: the unit's only holder is the beneficiary, so 组织部 decides in its place.
    ("secondary_beneficiary", "org_dept_user", A, {}, ok(RequestState.APPROVED)),
    # 转办 (组织部).
    ("branch_unit", "org_dept_user", TR, {"assignee": "secondary"}, ok(P, "secondary")),
    ("school_at_school", "org_dept_user", TR, {"assignee": "school2"}, ok(P, "school")),
    ("branch_unit", "org_dept_user", TR, {"assignee": "secretary"}, refused("不担任本环节可处理的角色")),
    ("branch_unit", "secondary", TR, {}, refused("您无权转办")),
    ("school_approved", "org_dept_user", TR, {}, refused("不能转办")),
    # 撤销申请: the initiator (the branch, or the unit that started it) gives up a returned or
    # withdrawn request, with a reason; not another holder, not an approver, not the member.
    ("returned", "secretary", AB, {}, ok(RequestState.ABANDONED)),
    ("withdrawn", "secretary", AB, {}, ok(RequestState.ABANDONED)),
    ("secondary_started_returned", "secondary", AB, {}, ok(RequestState.ABANDONED)),
    ("returned", "secretary", AB, {"opinion": ""}, refused("撤销申请时必须填写撤销原因")),
    ("returned", "committee", AB, {}, refused("只有发起人可以撤销申请")),
    ("returned", "secondary", AB, {}, refused("只有发起人可以撤销申请")),  # it returned the request
    ("returned", "member", AB, {}, refused("只有发起人可以撤销申请")),  # the beneficiary
    ("returned", "org_dept_user", AB, {}, refused("只有发起人可以撤销申请")),
    ("secondary_started_returned", "secretary", AB, {}, refused("只有发起人可以撤销申请")),
    ("draft", "secretary", AB, {}, refused("申请当前为「草稿」状态，不能撤销申请")),  # 删除草稿 instead
    ("branch_unit", "secretary", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("school_approved", "secretary", AB, {}, refused("申请当前为「已通过」状态，不能撤销申请")),  # 取消 instead
    ("completed", "secretary", AB, {}, refused("不能撤销申请")),
    ("cancelled", "secretary", AB, {}, refused("不能撤销申请")),
    ("rejected", "secretary", AB, {}, refused("不能撤销申请")),
    ("abandoned", "secretary", AB, {}, refused("不能撤销申请")),
    ("abandoned", "secretary", S, {}, refused("不能提交")),
    ("abandoned", "secretary", PAY, {}, refused("不能登记走访发放")),
    ("abandoned", "secretary", DEL, {}, refused("不能删除草稿")),
    ("abandoned", "secondary", A, {}, refused("不能同意")),
]


def _case_id(case):
    scenario, user, action, kw, expected = case
    extra = f"-to-{kw['return_to']}" if kw.get("return_to") else ""
    return f"{scenario}-{user}-{action.value}{extra}-{expected[0]}"


@pytest.mark.parametrize("scenario,user_key,action,kw,expected", CASES, ids=[_case_id(c) for c in CASES])
def test_transition_table(o, scenario, user_key, action, kw, expected):
    req = SCENARIOS[scenario](o)
    user = getattr(o, user_key)
    check_case(req, user, action, kw, expected, act, button_on_refusal=True if scenario in GATED else None)


B = {A, R, RET}
BUTTONS = [
    ("branch_unit", "secretary", {W}),
    ("branch_unit", "committee", set()),
    ("branch_unit", "secondary", B),
    ("branch_unit", "member", set()),
    ("school_at_org_dept", "org_dept_user", B | {TR}),
    ("school_at_org_dept", "secondary", {TB}),
    ("school_at_school", "org_dept_user", {TB, TR}),
    ("school_at_school", "school_user", B),
    ("school_approved", "secretary", {PAY, CANCEL}),
    ("school_approved", "committee", {PAY, CANCEL}),
    ("school_approved", "secondary", set()),
    ("school_approved", "member", set()),
    ("secondary_started", "secretary", B),
    ("secondary_started", "secondary", {W}),
    ("committee_beneficiary_approved", "committee", set()),
    ("secondary_beneficiary", "secondary", set()),
    ("draft", "secretary", {S, DEL}),
    ("draft", "committee", set()),
    ("completed", "secretary", set()),
    ("cancelled", "secretary", set()),
    ("returned", "secretary", {S, AB}),
    ("returned", "committee", set()),
    ("returned", "secondary", set()),
    ("withdrawn", "secretary", {S, AB}),
    ("secondary_started_returned", "secondary", {S, AB}),
    ("abandoned", "secretary", set()),
    ("branch_unit", "org_dept_user", {TR}),
    ("secondary_beneficiary", "org_dept_user", B | {TR}),
    ("branch_unit_delegated", "member2", B),
    ("deputy_beneficiary", "member2", set()),
]


@pytest.mark.parametrize("scenario,user_key,expected", BUTTONS, ids=[f"{s}-{u}" for s, u, _ in BUTTONS])
def test_available_actions_decide_the_buttons(o, scenario, user_key, expected):
    req = SCENARIOS[scenario](o)
    assert set(available_actions(req, getattr(o, user_key))) == expected


# --- the conditional steps --------------------------------------------------------------------------

def _keys(req):
    return [s.key for s in type(req).workflow.applicable_steps(req)]


@pytest.mark.parametrize("who,amount,funding,expected", [
    ("secretary", "1000.00", UNIT, ["secondary"]),  # at the threshold: not above it
    ("secretary", "1000.01", UNIT, ["secondary", "org_dept", "school"]),
    ("secretary", "500.00", SCHOOL, ["secondary", "org_dept", "school"]),
    ("secondary", "800.00", UNIT, ["branch"]),
    ("secondary", "800.00", SCHOOL, ["branch", "org_dept", "school"]),
    ("secondary", "1200.00", UNIT, ["branch", "org_dept", "school"]),
], ids=lambda v: str(v))
def test_which_steps_apply(o, who, amount, funding, expected):
    req = new_condolence(o.member, getattr(o, who), amount=amount, funding=funding)
    assert _keys(req) == expected
    assert req.current_step == expected[0]


def test_a_direct_branch_always_goes_to_the_school(o):
    req = new_condolence(o.direct_member, o.direct_secretary, funding=SCHOOL, amount="300.00")
    assert _keys(req) == ["org_dept", "school"]
    assert (req.current_step, req.current_org_id) == ("org_dept", o.org_dept.id)


def test_unit_funded_under_the_threshold_ends_at_the_secondary_unit_and_reserves_nothing(o):
    req = new_condolence(o.member, o.secretary, amount="800.00")
    act(req, o.secondary, A)
    assert (req.state, req.current_step) == (RequestState.APPROVED, None)
    line = budget_line()
    assert (line.reserved, line.spent) == (Decimal("0.00"), Decimal("0.00"))


def test_unit_funded_above_the_threshold_goes_on_but_reserves_no_school_money(o):
    req = new_condolence(o.member, o.secretary, amount="1500.00")
    approve_all(req, o.secondary, o.org_dept_user, o.school_user)
    assert req.state is RequestState.APPROVED
    assert budget_line().reserved == Decimal("0.00")
    act(req, o.secretary, PAY)
    assert req.state is RequestState.COMPLETED and budget_line().spent == Decimal("0.00")


def test_a_new_threshold_does_not_change_the_steps_of_a_request_in_flight(o):
    req = new_condolence(o.member, o.secretary, amount="900.00")
    assert _keys(req) == ["secondary"]
    set_threshold(Decimal("500.00"), local_today(), o.org_dept_user)
    db.session.commit()
    db.session.expire_all()
    assert _keys(req) == ["secondary"]  # submitted under the old threshold
    act(req, o.secondary, A)
    assert req.state is RequestState.APPROVED
    # A new request is submitted under the new one.
    assert _keys(new_condolence(o.member2, o.secretary, amount="900.00")) == ["secondary", "org_dept", "school"]


def test_without_a_threshold_only_school_funds_go_on(app, org):
    setup_settings(org, threshold=None)
    assert _keys(new_condolence(org.member, org.secretary, amount="5000.00")) == ["secondary"]
    assert _keys(new_condolence(org.member2, org.secretary, funding=SCHOOL)) == ["secondary", "org_dept", "school"]


# --- budget: reserve on the final approval, check at 组织部, release, spend ----------------------------

def test_the_final_approval_of_school_funds_reserves_the_amount(o):
    req = new_condolence(o.member, o.secretary, funding=SCHOOL, amount="1500.00")
    approve_all(req, o.secondary, o.org_dept_user)
    assert budget_line().reserved == Decimal("0.00")  # 组织部 checks; only the final approval reserves
    entry = act(req, o.school_user, A)
    line = budget_line()
    assert (line.amount, line.reserved, line.spent, line.balance) == (
        Decimal("10000.00"), Decimal("1500.00"), Decimal("0.00"), Decimal("8500.00"))
    assert "预留 ¥1,500.00" in entry.detail
    rows = db.session.execute(select(BudgetEntry.kind, BudgetEntry.amount, BudgetEntry.actor_id)
                              .where(BudgetEntry.request_id == req.id)).all()
    assert rows == [("reserve", Decimal("1500.00"), o.school_user.id)]


def test_org_dept_refuses_when_the_balance_cannot_pay(app, org):
    setup_settings(org)
    set_budget("1200.00")
    req = approve_all(new_condolence(org.member, org.secretary, funding=SCHOOL, amount="1500.00"), org.secondary)
    with pytest.raises(ActionRefused) as exc:
        act(req, org.org_dept_user, A)
    assert "余额不足" in exc.value.message and "¥1,200.00" in exc.value.message and "¥1,500.00" in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.current_step) == (P, "org_dept")
    act(req, org.org_dept_user, R)  # 组织部 can still say no
    assert req.state is RequestState.REJECTED


def test_org_dept_refuses_when_no_budget_is_set(app, org):
    setup_settings(org)
    req = approve_all(new_condolence(org.member, org.secretary, funding=SCHOOL), org.secondary)
    with pytest.raises(ActionRefused) as exc:
        act(req, org.org_dept_user, A)
    assert "预算尚未设置" in exc.value.message


def test_an_approval_that_would_overspend_is_refused_with_the_balance(app, org):
    """Both passed 组织部's check; the first final approval takes most of the line."""
    setup_settings(org)
    set_budget("1500.00")
    first = approve_all(new_condolence(org.member, org.secretary, funding=SCHOOL), org.secondary, org.org_dept_user)
    second = approve_all(new_condolence(org.member2, org.secretary, funding=SCHOOL), org.secondary, org.org_dept_user)
    act(first, org.school_user, A)
    before = (second.version, len(second.timeline))
    with pytest.raises(ActionRefused) as exc:
        act(second, org.school_user, A)
    assert exc.value.message == (f"{local_today().year}年度「慰问金」校级预算余额不足：本次需 ¥1,000.00，"
                                 "当前余额 ¥500.00")
    db.session.rollback()
    db.session.expire_all()
    assert (second.state, second.current_step, second.version, len(second.timeline)) == (P, "school", *before)
    assert second.documents == []
    assert budget_line().reserved == Decimal("1000.00")


def test_recording_the_payment_spends_it_and_completes_the_request(o):
    req = new_condolence(o.member, o.secretary, funding=SCHOOL)
    approve_all(req, o.secondary, o.org_dept_user, o.school_user)
    visit = local_today() - timedelta(days=1)
    entry = act(req, o.committee, PAY, payload=payment_payload(req, visit=visit))
    assert req.state is RequestState.COMPLETED and req.closed_at is not None
    assert (req.visit_date, req.visitors, req.paid_amount) == (visit, "李书记、赵支委", Decimal("1000.00"))
    assert [a.kind for a in req.receipts] == ["condolence_receipt"]
    line = budget_line()
    assert (line.reserved, line.spent, line.balance) == (Decimal("0.00"), Decimal("1000.00"), Decimal("9000.00"))
    assert entry.actor_role == "branch_secretary" and entry.actor_org_id == o.branch_a1.id
    assert "实际发放 ¥1,000.00（壹仟元整）" in entry.detail and "王喆（党员本人）" in entry.detail
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_id == req.id, AuditEvent.action == "request.record_payment")) == 1


def test_paying_less_than_approved_spends_what_was_paid_and_releases_the_rest(o):
    req = approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL), o.secondary, o.org_dept_user,
                      o.school_user)
    entry = act(req, o.secretary, PAY, payload=payment_payload(req, paid="800.50"))
    line = budget_line()
    assert (line.reserved, line.spent, line.balance) == (Decimal("0.00"), Decimal("800.50"), Decimal("9199.50"))
    assert "差额 ¥199.50 已释放" in entry.detail
    kinds = db.session.execute(select(BudgetEntry.kind, BudgetEntry.amount).where(BudgetEntry.request_id == req.id)
                               .order_by(BudgetEntry.id)).all()
    assert kinds == [("reserve", Decimal("1000.00")), ("spend", Decimal("800.50")), ("release", Decimal("199.50"))]


@pytest.mark.parametrize("payload,field,message", [
    ({"paid_amount": Decimal("1000.01")}, "paid_amount", "不能超过批准金额（¥1,000.00）"),
    ({"paid_amount": Decimal("0")}, "paid_amount", "请填写实际发放金额"),
    ({"visit_date": local_today() + timedelta(days=1)}, "visit_date", "走访日期不能晚于今天"),
    ({"visitors": "  "}, "visitors", "请填写走访人"),
    ({"receipts": []}, "receipts", "请上传发放凭证或走访照片"),
], ids=["above-approved", "zero", "future-visit", "no-visitors", "no-receipt"])
def test_an_invalid_payment_record_is_refused_and_changes_nothing(o, payload, field, message):
    req = approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL), o.secondary, o.org_dept_user,
                      o.school_user)
    data = payment_payload(req)
    data.update(payload)
    with pytest.raises(ActionRefused) as exc:
        act(req, o.secretary, PAY, payload=data)
    assert exc.value.field == field and message in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    assert req.state is RequestState.APPROVED and req.paid_amount is None and req.receipts == []
    assert budget_line().reserved == Decimal("1000.00")


def test_cancelling_an_approved_request_releases_the_budget(o):
    req = approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL), o.secondary, o.org_dept_user,
                      o.school_user)
    assert budget_line().reserved == Decimal("1000.00")
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, o.secretary, CANCEL, opinion=" ")
    assert exc.value.field == "opinion"
    db.session.rollback()
    entry = act(req, o.secretary, CANCEL, opinion="党员本人婉拒慰问金")
    assert req.state is RequestState.CANCELLED and req.closed_at is not None
    assert "已释放预留的校级经费 ¥1,000.00" in entry.detail
    line = budget_line()
    assert (line.reserved, line.spent, line.balance) == (Decimal("0.00"), Decimal("0.00"), Decimal("10000.00"))


@pytest.mark.parametrize("ending", ["reject", "withdraw", "return"])
def test_a_request_ended_before_the_final_approval_holds_no_money(o, ending):
    req = approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL), o.secondary, o.org_dept_user)
    if ending == "reject":
        act(req, o.school_user, R)
    elif ending == "return":
        act(req, o.school_user, RET)
    else:
        act(req, o.secretary, W)
    line = budget_line()
    assert (line.reserved, line.spent) == (Decimal("0.00"), Decimal("0.00"))
    assert db.session.scalar(select(func.count(BudgetEntry.id)).where(BudgetEntry.request_id == req.id)) == 0


# --- documents, timeline ---------------------------------------------------------------------------

def _documents(req):
    return [(d.kind, d.version) for d in db.session.scalars(select(Document).where(Document.request_id == req.id))]


def test_the_form_is_made_on_approval_and_on_rejection_not_again_when_paid_or_cancelled(o):
    approved = approve_all(new_condolence(o.member, o.secretary, funding=SCHOOL), o.secondary, o.org_dept_user)
    assert _documents(approved) == []
    act(approved, o.school_user, A)
    assert _documents(approved) == [("condolence_form", 1)]
    act(approved, o.secretary, PAY)
    assert _documents(approved) == [("condolence_form", 1)]
    rejected = new_condolence(o.member2, o.secretary)
    act(rejected, o.secondary, R)
    assert _documents(rejected) == [("condolence_form", 1)]
    cancelled = SCENARIOS["cancelled"](o)
    assert _documents(cancelled) == [("condolence_form", 1)]


def test_the_timeline_records_who_did_what(o):
    req = new_condolence(o.member, o.secretary, funding=SCHOOL)
    approve_all(req, o.secondary, o.org_dept_user, o.school_user)
    act(req, o.secretary, PAY)
    rows = [(e.action, e.actor.username, e.actor_role, e.step) for e in req.timeline]
    assert rows == [
        ("submit", "secretary", "applicant", None),
        ("approve", "secondary", "secondary", "secondary"),
        ("approve", "orgdept", "org_dept", "org_dept"),
        ("approve", "school", "school", "school"),
        ("record_payment", "secretary", "branch_secretary", None),
    ]
    assert "经费核查" in req.timeline[2].detail
    assert db.session.scalar(select(func.count(TimelineEntry.id)).where(TimelineEntry.request_id == req.id)) == 5


def test_initiator_levels_are_recorded(o):
    assert new_condolence(o.member, o.secretary).initiator_level is InitiatorLevel.BRANCH
    assert new_condolence(o.member2, o.secondary).initiator_level is InitiatorLevel.SECONDARY


def test_a_death_is_paid_to_the_family(o):
    req = new_condolence(o.member, o.secretary, category=CondolenceCategory.DEATH, payee_kind=PayeeKind.FAMILY,
                         payee_name="王秀兰", payee_relation="配偶", funding=SCHOOL)
    approve_all(req, o.secondary, o.org_dept_user, o.school_user)
    entry = act(req, o.secretary, PAY)
    assert "收款人 王秀兰（配偶）" in entry.detail and "¥2,000.00（贰仟元整）" in entry.detail
