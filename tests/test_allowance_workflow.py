"""兼职支部书记补贴 in the engine: state × role × action → allowed or refused; 核定调整 within the cap;
recusal of every secretary the batch pays; claims per branch and year; the budget; documents.

Steps: the unit submits → 组织部核定 (may adjust lines any number of times) → 校党委审批.
"""
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, BudgetEntry, BudgetLine, BudgetLineKind, Document, RequestState, Role
from dangjian.request_types.secretary_allowance.compute import fill_batch, plan_unit
from dangjian.request_types.secretary_allowance.model import AllowanceClaim, PaymentMethod
from dangjian.workflow import Action, ActionRefused, apply_action, available_actions
from tests.delegation_support import delegate, transfer_kw
from tests.workflow_table import check_case, ok, refused
from tests.factories_allowance import YEAR, adjust_payload, allowance_world, line_of, new_batch

A, R, RET, W, S, ADJ = (Action.APPROVE, Action.REJECT, Action.RETURN, Action.WITHDRAW, Action.SUBMIT,
                        Action.ADJUST)
TB = Action.TAKE_BACK
AB = Action.ABANDON
TR = Action.TRANSFER
PAID = Action.RECORD_PAID
P = RequestState.PENDING
D = Decimal

NOT_HOLDER = "您不是当前审批环节的处理人"
RECUSED_INITIATOR = "您是本申请的发起人，按回避规定不能审批本申请"
RECUSED_BENEFICIARY = "您是本申请的受益人，按回避规定不能审批本申请"


@pytest.fixture
def world(app, org):
    return allowance_world(org)


def act(req, user, action, **kw):
    if action is TR:
        kw = transfer_kw(kw)
    if action in (R, RET, AB):
        kw.setdefault("opinion", f"{action.label}的意见")
    if action is PAID and "payload" not in kw:
        kw["payload"] = {"paid_on": date.today(), "payer": "马丽（财务处）", "voucher_no": "记-0318", "amount": None}
    if action is ADJ and "payload" not in kw:
        line = req.lines[0]
        kw["payload"] = adjust_payload(line, amount=line.amount - 100, reward=line.reward - 100)
    return apply_action(req, user, action, **kw)


# Scenarios: how the batch got to where the case starts.
def _org_dept(o):
    return new_batch(o.sec_a, o.secondary)


def _org_dept_adjusted(o):
    req = _org_dept(o)
    act(req, o.org_dept_user, ADJ)
    return req


def _school(o):
    req = _org_dept(o)
    act(req, o.org_dept_user, A, opinion="核定无误")
    return req


def _approved(o):
    req = _school(o)
    act(req, o.school_user, A)
    return req


def _rejected(o):
    req = _org_dept(o)
    act(req, o.org_dept_user, R)
    return req


def _returned(o):
    req = _org_dept(o)
    act(req, o.org_dept_user, RET)
    return req


def _withdrawn(o):
    req = _org_dept(o)
    act(req, o.secondary, W)
    return req


def _draft(o):
    return new_batch(o.sec_a, o.secondary, submit=False)


def _abandoned(o):
    req = _returned(o)
    act(req, o.secondary, AB)
    return req


def _direct_returned(o):
    """组织部 (org_dept_user) started the 直属党支部 batch; the other 组织部 holder returned it."""
    req = _direct_org_dept(o)
    act(req, o.org_dept2, RET)
    return req


def _b_org_dept(o):
    """经济学院党委's batch: pays 刘组织部 (组织部) and 张校领导 (校党委)."""
    return new_batch(o.sec_b, o.secondary_b)


def _b_school(o):
    req = _b_org_dept(o)
    act(req, o.org_dept2, A)
    return req


def _direct_org_dept(o):
    """组织部 (org_dept_user) starts the 直属党支部 batch."""
    return new_batch(o.school, o.org_dept_user)


def _b_approved(o):
    req = _b_school(o)
    act(req, o.school_user2, A)
    return req


def _paid(o):
    req = _approved(o)
    act(req, o.org_dept_user, PAID)
    return req


def _school_delegated(o):
    """张校领导 named 王喆 (member) deputy for the school role (委托代理)."""
    req = _school(o)
    delegate(o.school_user, o.member, role=Role.SCHOOL)
    return req


def _b_school_delegated(o):
    """The same delegation, on a batch that pays 张校领导: the deputy may not act for him either."""
    req = _b_school(o)
    delegate(o.school_user, o.member, role=Role.SCHOOL)
    return req


SCENARIOS = {f.__name__[1:]: f for f in (_org_dept, _org_dept_adjusted, _school, _approved, _rejected, _returned,
                                         _withdrawn, _draft, _b_org_dept, _b_school, _b_approved, _paid, _direct_org_dept,
                                         _school_delegated, _b_school_delegated, _abandoned, _direct_returned)}


CASES = [
    # 组织部核定: any 组织部 holder approves, adjusts, rejects or returns.
    ("org_dept", "org_dept_user", A, {}, ok(P, "school")),
    ("org_dept", "org_dept2", A, {}, ok(P, "school")),
    ("org_dept", "org_dept_user", ADJ, {}, ok(P, "org_dept")),
    ("org_dept", "org_dept2", ADJ, {}, ok(P, "org_dept")),
    ("org_dept", "org_dept_user", R, {}, ok(RequestState.REJECTED)),
    ("org_dept", "org_dept_user", RET, {}, ok(RequestState.RETURNED)),
    ("org_dept", "secondary", W, {}, ok(RequestState.WITHDRAWN)),
    ("org_dept", "secondary", A, {}, refused(NOT_HOLDER)),
    ("org_dept", "secondary", ADJ, {}, refused(NOT_HOLDER)),
    ("org_dept", "secondary_b", A, {}, refused(NOT_HOLDER)),
    ("org_dept", "school_user", A, {}, refused(NOT_HOLDER)),
    ("org_dept", "school_user", ADJ, {}, refused(NOT_HOLDER)),
    ("org_dept", "secretary", A, {}, refused(NOT_HOLDER)),
    ("org_dept", "supervisor", ADJ, {}, refused(NOT_HOLDER)),  # 纪委 reads, changes nothing
    ("org_dept", "sysadmin", A, {}, refused(NOT_HOLDER)),
    ("org_dept", "org_dept_user", W, {}, refused("只有发起人可以撤回")),
    ("org_dept", "secondary", S, {}, refused("不能提交")),
    ("org_dept", "org_dept_user", RET, {"return_to": "school"}, refused("只能退回到之前的审批环节")),
    # After an adjustment someone has acted on the step: no more withdrawing.
    ("org_dept_adjusted", "secondary", W, {}, refused("当前环节已有人处理，不能撤回")),
    ("org_dept_adjusted", "org_dept_user", ADJ, {}, ok(P, "org_dept")),
    ("org_dept_adjusted", "org_dept_user", A, {}, ok(P, "school")),
    # 校党委审批.
    ("school", "school_user", A, {}, ok(RequestState.APPROVED)),
    ("school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    ("school", "school_user", R, {}, ok(RequestState.REJECTED)),
    ("school", "school_user", RET, {}, ok(RequestState.RETURNED)),
    ("school", "school_user", RET, {"return_to": "org_dept"}, ok(P, "org_dept")),
    ("school", "school_user", ADJ, {}, refused("只有在组织部核定环节可以调整补贴")),
    ("school", "org_dept_user", ADJ, {}, refused(NOT_HOLDER)),
    ("school", "org_dept_user", A, {}, refused(NOT_HOLDER)),
    ("school", "secondary", A, {}, refused(NOT_HOLDER)),
    ("school", "secondary", W, {}, ok(RequestState.WITHDRAWN)),  # nobody acted at 校党委 yet
    # Ended batches.
    ("approved", "school_user", A, {}, refused("不能同意")),
    ("approved", "org_dept_user", ADJ, {}, refused("不能核定调整")),
    ("approved", "secondary", W, {}, refused("不能撤回")),
    ("rejected", "secondary", S, {}, refused("不能提交")),
    ("rejected", "org_dept_user", A, {}, refused("不能同意")),
    # Returned / withdrawn / draft: only the unit (re)submits.
    ("returned", "secondary", S, {}, ok(P, "org_dept")),
    ("returned", "org_dept_user", S, {}, refused("只有发起人可以提交")),
    ("returned", "org_dept_user", ADJ, {}, refused("不能核定调整")),
    ("withdrawn", "secondary", S, {}, ok(P, "org_dept")),
    ("withdrawn", "org_dept_user", A, {}, refused("不能同意")),
    ("draft", "secondary", S, {}, ok(P, "org_dept")),
    # 回避: a secretary the batch pays never acts on it, whatever role they hold.
    ("b_org_dept", "org_dept_user", A, {}, refused(RECUSED_BENEFICIARY)),
    ("b_org_dept", "org_dept_user", ADJ, {}, refused(RECUSED_BENEFICIARY)),
    ("b_org_dept", "org_dept_user", R, {}, refused(RECUSED_BENEFICIARY)),
    ("b_org_dept", "org_dept_user", RET, {}, refused(RECUSED_BENEFICIARY)),
    ("b_org_dept", "org_dept2", A, {}, ok(P, "school")),
    ("b_org_dept", "org_dept2", ADJ, {}, ok(P, "org_dept")),
    ("b_school", "school_user", A, {}, refused(RECUSED_BENEFICIARY)),
    ("b_school", "school_user", R, {}, refused(RECUSED_BENEFICIARY)),
    ("b_school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    # 直属党支部: 组织部 starts the batch, and its starter does not verify it.
    ("direct_org_dept", "org_dept_user", A, {}, refused(RECUSED_INITIATOR)),
    ("direct_org_dept", "org_dept_user", ADJ, {}, refused(RECUSED_INITIATOR)),
    ("direct_org_dept", "org_dept2", A, {}, ok(P, "school")),
    ("direct_org_dept", "org_dept_user", W, {}, ok(RequestState.WITHDRAWN)),
    # 取回: the 组织部 holder who passed the batch on, until 校党委 acts; never after the decision.
    ("school", "org_dept_user", TB, {}, ok(P, "org_dept")),
    ("school", "org_dept2", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("school", "school_user", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("b_school", "org_dept2", TB, {}, ok(P, "org_dept")),
    ("org_dept_adjusted", "org_dept_user", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("approved", "school_user", TB, {}, refused("不能取回")),
    ("approved", "org_dept_user", TB, {}, refused("不能取回")),
    # 代为处理 (委托代理): recusal binds the holder a deputy acts for.
    ("school_delegated", "member", A, {}, ok(RequestState.APPROVED)),
    ("b_school_delegated", "member", A, {}, refused("张校领导须回避本申请")),
    # 转办 (组织部): to a named holder; never by the 组织部 holder the batch pays or who started it.
    ("org_dept", "org_dept_user", TR, {"assignee": "orgdept2"}, ok(P, "org_dept")),
    ("school", "org_dept_user", TR, {"assignee": "school2"}, ok(P, "school")),
    ("school", "org_dept_user", TR, {"assignee": "secondary"}, refused("不担任本环节可处理的角色")),
    ("b_school", "org_dept2", TR, {"assignee": "school"}, refused("张校领导须回避本申请")),
    ("b_org_dept", "org_dept_user", TR, {}, refused(RECUSED_BENEFICIARY)),
    ("direct_org_dept", "org_dept_user", TR, {}, refused(RECUSED_INITIATOR)),
    ("school", "secondary", TR, {}, refused("您无权转办")),
    # 登记发放 (§四): 组织部 records the payment of an approved batch; the reservation becomes spent.
    ("approved", "org_dept_user", PAID, {}, ok(RequestState.COMPLETED)),
    ("approved", "org_dept2", PAID, {}, ok(RequestState.COMPLETED)),
    ("approved", "secondary", PAID, {}, refused("您无权登记发放")),
    ("approved", "school_user", PAID, {}, refused("您无权登记发放")),
    ("approved", "supervisor", PAID, {}, refused("您无权登记发放")),
    ("school", "org_dept_user", PAID, {}, refused("不能登记发放")),
    ("paid", "org_dept_user", PAID, {}, refused("不能登记发放")),
    ("paid", "school_user", A, {}, refused("不能同意")),
    ("b_approved", "org_dept_user", PAID, {}, refused(RECUSED_BENEFICIARY)),
    ("b_approved", "org_dept2", PAID, {}, ok(RequestState.COMPLETED)),
    # 撤销申请: the unit that started a returned or withdrawn batch gives it up, with a reason.
    ("returned", "secondary", AB, {}, ok(RequestState.ABANDONED)),
    ("withdrawn", "secondary", AB, {}, ok(RequestState.ABANDONED)),
    ("direct_returned", "org_dept_user", AB, {}, ok(RequestState.ABANDONED)),
    ("returned", "secondary", AB, {"opinion": ""}, refused("撤销申请时必须填写撤销原因")),
    ("returned", "org_dept_user", AB, {}, refused("只有发起人可以撤销申请")),  # it returned the batch
    ("returned", "secretary", AB, {}, refused("只有发起人可以撤销申请")),  # a secretary the batch pays
    ("returned", "secondary_b", AB, {}, refused("只有发起人可以撤销申请")),  # another unit
    ("direct_returned", "org_dept2", AB, {}, refused("只有发起人可以撤销申请")),
    ("withdrawn", "school_user", AB, {}, refused("只有发起人可以撤销申请")),
    ("draft", "secondary", AB, {}, refused("申请当前为「草稿」状态，不能撤销申请")),
    ("org_dept", "secondary", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("school", "secondary", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("approved", "secondary", AB, {}, refused("申请当前为「已通过」状态，不能撤销申请")),
    ("rejected", "secondary", AB, {}, refused("不能撤销申请")),
    ("paid", "secondary", AB, {}, refused("不能撤销申请")),
    ("abandoned", "secondary", AB, {}, refused("不能撤销申请")),
    ("abandoned", "secondary", S, {}, refused("不能提交")),
    ("abandoned", "org_dept_user", ADJ, {}, refused("不能核定调整")),
    ("abandoned", "org_dept_user", PAID, {}, refused("不能登记发放")),
]


def _case_id(case):
    scenario, user, action, kw, expected = case
    extra = f"-to-{kw['return_to']}" if kw.get("return_to") else ""
    return f"{scenario}-{user}-{action.value}{extra}-{expected[0]}"


@pytest.mark.parametrize("scenario,user_key,action,kw,expected", CASES, ids=[_case_id(c) for c in CASES])
def test_transition_table(world, scenario, user_key, action, kw, expected):
    req = SCENARIOS[scenario](world)
    user = getattr(world, user_key)
    check_case(req, user, action, kw, expected, act)


STEP = {A, R, RET}
BUTTONS = [
    ("org_dept", "org_dept_user", STEP | {ADJ, TR}),
    ("org_dept", "org_dept2", STEP | {ADJ, TR}),
    ("org_dept", "secondary", {W}),
    ("org_dept", "secretary", set()),
    ("org_dept", "school_user", set()),
    ("org_dept", "supervisor", set()),
    ("org_dept_adjusted", "secondary", set()),
    ("school", "school_user", STEP),
    ("school", "org_dept_user", {TB, TR}),
    ("school", "secondary", {W}),
    ("approved", "secondary", set()),
    ("approved", "school_user", set()),
    ("returned", "secondary", {S, AB}),
    ("returned", "org_dept_user", set()),
    ("withdrawn", "secondary", {S, AB}),
    ("direct_returned", "org_dept_user", {S, AB}),
    ("direct_returned", "org_dept2", set()),
    ("abandoned", "secondary", set()),
    ("abandoned", "org_dept_user", set()),
    ("b_org_dept", "org_dept_user", set()),
    ("b_org_dept", "org_dept2", STEP | {ADJ, TR}),
    ("b_school", "school_user", set()),
    ("b_school", "school_user2", STEP),
    ("direct_org_dept", "org_dept_user", {W}),
    ("direct_org_dept", "org_dept2", STEP | {ADJ, TR}),
    ("school_delegated", "member", STEP),
    ("b_school_delegated", "member", set()),
]


@pytest.mark.parametrize("scenario,user_key,expected", BUTTONS, ids=[f"{s}-{u}" for s, u, _ in BUTTONS])
def test_available_actions_decide_the_buttons(world, scenario, user_key, expected):
    req = SCENARIOS[scenario](world)
    assert set(available_actions(req, getattr(world, user_key))) == expected


def test_the_batch_names_every_paid_secretary_as_conflicted(world):
    b = _b_org_dept(world)
    assert b.conflicted_member_ids() == {world.org_dept_user.member_id, world.school_user.member_id}
    assert _org_dept(world).conflicted_member_ids() == {world.secretary.member_id}


# --- 核定调整 ---------------------------------------------------------------------------------------

def test_an_adjustment_changes_the_line_and_the_timeline_says_what(world):
    req = _org_dept(world)
    line = line_of(req, world.branch_a1)
    entry = apply_action(req, world.org_dept_user, ADJ, opinion="考核奖励按实际考核情况核减",
                         payload=adjust_payload(line, amount="2500.00", reward="100.00"))
    assert entry.detail == "会计学院教工第一党支部 李书记：¥3,000.00 → ¥2,500.00；考核奖励 ¥600.00 → ¥100.00"
    assert (req.state, req.current_step, req.version) == (P, "org_dept", 2)
    line = line_of(req, world.branch_a1)
    assert (line.amount, line.reward, line.computed_amount) == (D("2500.00"), D("100.00"), D("3000.00"))
    assert req.amount == req.total == D("2500.00")
    # Again: every adjustment is its own timeline entry.
    apply_action(req, world.org_dept2, ADJ, payload=adjust_payload(
        line, amount="2500.00", phone="500.00", transport="700.00", method=PaymentMethod.ACTIVITY_FUNDS.value))
    details = [e.detail for e in req.timeline if e.action == "adjust"]
    assert details == [
        "会计学院教工第一党支部 李书记：¥3,000.00 → ¥2,500.00；考核奖励 ¥600.00 → ¥100.00",
        "会计学院教工第一党支部 李书记：电话补助 ¥600.00 → ¥500.00；交通补助 ¥600.00 → ¥700.00；"
        "发放方式 发放给书记本人 → 补贴党建活动经费",
    ]
    assert [e.opinion for e in req.timeline if e.action == "adjust"] == ["考核奖励按实际考核情况核减", ""]
    audited = db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.object_id == req.id, AuditEvent.action == "request.adjust"))
    assert audited == 2


@pytest.mark.parametrize("change,field,message", [
    ({"amount": "3000.01", "reward": "600.01"}, "amount",
     "会计学院教工第一党支部2025年度补贴合计不能超过 ¥3,000.00（全年标准 ¥3,000.00 × 存续 12 个月 ÷ 12）"),
    ({"amount": "2900.00"}, "amount", "五项明细合计 ¥3,000.00 与补贴金额 ¥2,900.00 不一致"),
    ({"reward": "599.00"}, "amount", "五项明细合计 ¥2,999.00 与补贴金额 ¥3,000.00 不一致"),
    ({"amount": "0", "phone": "0", "transport": "0", "materials": "0", "post": "0", "reward": "0"}, "amount",
     "补贴金额应大于0"),
    ({"reward": "-1.00", "phone": "601.00"}, "reward", "考核奖励：金额不能为负数"),
    ({"phone": "abc"}, "phone", "电话补助：金额格式不正确"),
    ({"post": "1.005"}, "post", "岗位补贴：金额最多保留两位小数"),
    ({"method": "cash"}, "payment_method", "请选择发放方式"),
    ({}, "amount", "没有任何改动"),
])
def test_an_adjustment_outside_the_rules_is_refused_and_changes_nothing(world, change, field, message):
    req = _org_dept(world)
    line = line_of(req, world.branch_a1)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, world.org_dept_user, ADJ, payload=adjust_payload(line, **change))
    assert message in exc.value.message and exc.value.field == field
    db.session.rollback()
    db.session.expire_all()
    line = line_of(req, world.branch_a1)
    assert (line.amount, line.reward, req.version, len(req.timeline)) == (D("3000.00"), D("600.00"), 1, 1)


def test_a_line_of_another_batch_cannot_be_adjusted(world):
    a, b = _org_dept(world), _b_org_dept(world)
    with pytest.raises(ActionRefused) as exc:
        apply_action(a, world.org_dept2, ADJ, payload=adjust_payload(b.lines[0], amount="100.00"))
    assert "请选择要调整的支部和书记" in exc.value.message


def test_the_cap_is_per_branch_when_its_secretary_changed(world):
    """经济学院教工党支部: 刘组织部 ¥1,250.00 (Jan–May) + 张校领导 ¥1,750.00 (Jun–Dec) = the cap."""
    req = _b_org_dept(world)
    old, new = line_of(req, world.branch_b1, world.org_dept_user), line_of(req, world.branch_b1, world.school_user)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, world.org_dept2, ADJ, payload=adjust_payload(new, amount="2000.00", reward="600.00"))
    assert "经济学院教工党支部2025年度补贴合计不能超过 ¥3,000.00" in exc.value.message
    assert "本行最多 ¥1,750.00" in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    apply_action(req, world.org_dept2, ADJ, payload=adjust_payload(old, amount="1000.00", reward="0.00"))
    apply_action(req, world.org_dept2, ADJ, payload=adjust_payload(new, amount="2000.00", reward="600.00"))
    assert [ln.amount for ln in req.lines] == [D("1000.00"), D("2000.00")] and req.amount == D("3000.00")


def test_a_branch_that_existed_part_of_the_year_has_a_smaller_cap(world):
    from datetime import date

    world.branch_a1.founded_on = date(YEAR, 4, 1)  # Apr–Dec: 9 months, ¥2,250.00
    db.session.commit()
    req = _org_dept(world)
    line = line_of(req, world.branch_a1)
    assert (line.months_existed, line.amount) == (9, D("2250.00"))
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, world.org_dept_user, ADJ, payload=adjust_payload(line, amount="2250.01", reward="450.01"))
    assert "不能超过 ¥2,250.00（全年标准 ¥3,000.00 × 存续 9 个月 ÷ 12）" in exc.value.message


def test_returned_to_org_dept_the_lines_can_be_adjusted_again(world):
    req = _school(world)
    apply_action(req, world.school_user, RET, opinion="请核减考核奖励", return_to="org_dept")
    line = req.lines[0]
    apply_action(req, world.org_dept_user, ADJ, payload=adjust_payload(line, amount="2900.00", reward="500.00"))
    apply_action(req, world.org_dept_user, A, opinion="已核减")
    apply_action(req, world.school_user, A, opinion="同意")
    assert req.state is RequestState.APPROVED and req.amount == D("2900.00")


# --- one allowance per branch per year: the claims ---------------------------------------------------

def claims(req=None):
    query = select(AllowanceClaim.branch_id, AllowanceClaim.year, AllowanceClaim.batch_id)
    if req is not None:
        query = query.where(AllowanceClaim.batch_id == req.id)
    return set(db.session.execute(query).all())


@pytest.mark.parametrize("end", ["return", "withdraw", "reject"])
def test_claims_are_held_from_submission_and_given_back_when_the_batch_goes_back(world, end):
    req = _org_dept(world)
    assert claims(req) == {(world.branch_a1.id, YEAR, req.id)}
    if end == "return":
        act(req, world.org_dept_user, RET)
    elif end == "withdraw":
        act(req, world.secondary, W)
    else:
        act(req, world.org_dept_user, R)
    assert claims() == set()
    # The branch is free again: another batch may take it (for a rejected one, a new batch).
    other = new_batch(world.sec_a, world.secondary)
    assert claims() == {(world.branch_a1.id, YEAR, other.id)}


def test_a_returned_batch_is_recomputed_and_claims_again_on_resubmission(world):
    req = _returned(world)
    fill_batch(req, plan_unit(world.sec_a, YEAR, batch=req))
    apply_action(req, world.secondary, S)
    assert claims() == {(world.branch_a1.id, YEAR, req.id)}
    assert (req.state, req.current_step) == (P, "org_dept")


def test_approval_keeps_the_claims(world):
    req = _approved(world)
    assert claims() == {(world.branch_a1.id, YEAR, req.id)}


def test_a_second_batch_with_a_claimed_branch_is_refused_by_name(world):
    """Two batches computed before either was submitted: the second submission is refused."""
    first = new_batch(world.sec_a, world.secondary, submit=False)
    second = new_batch(world.sec_a, world.secondary, submit=False)
    apply_action(first, world.secondary, S)
    with pytest.raises(ActionRefused) as exc:
        apply_action(second, world.secondary, S)
    assert exc.value.message.startswith("会计学院教工第一党支部2025年度的兼职支部书记补贴已在 "
                                        f"{first.number} 中申报，同一支部每年只能享受一次")
    db.session.rollback()
    db.session.expire_all()
    assert second.state is RequestState.DRAFT and claims() == {(world.branch_a1.id, YEAR, first.id)}


def test_an_empty_batch_cannot_be_submitted(world):
    req = new_batch(world.sec_a, world.secondary, submit=False)
    req.lines.clear()
    db.session.commit()
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, world.secondary, S)
    assert "没有符合条件的支部" in exc.value.message


# --- budget -------------------------------------------------------------------------------------

def _line():
    db.session.expire_all()
    return db.session.scalar(select(BudgetLine).where(BudgetLine.year == YEAR,
                                                      BudgetLine.kind == BudgetLineKind.ALLOWANCE))


def test_final_approval_reserves_the_total_on_the_years_allowance_line(world):
    req = _b_school(world)
    apply_action(req, world.school_user2, A, opinion="同意")
    line = _line()
    assert (line.reserved, line.balance) == (D("3000.00"), D("97000.00"))
    entries = db.session.execute(select(BudgetEntry.kind, BudgetEntry.amount, BudgetEntry.request_id)
                                 .where(BudgetEntry.line_id == line.id, BudgetEntry.kind != "set")).all()
    assert entries == [("reserve", D("3000.00"), req.id)]


def test_an_approval_that_would_overspend_is_refused_with_the_balance(world):
    req = _school(world)  # 核定 found the line able to pay; then it was cut
    line = _line()
    line.amount = D("2000.00")
    db.session.commit()
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, world.school_user, A, opinion="同意")
    assert "2025年度「书记补贴」校级预算余额不足：本次需 ¥3,000.00，当前余额 ¥2,000.00" in exc.value.message
    db.session.rollback()
    db.session.expire_all()
    assert (req.state, req.current_step) == (P, "school")
    assert _line().reserved == D("0.00") and claims(req) == {(world.branch_a1.id, YEAR, req.id)}
    assert db.session.scalar(select(func.count(Document.id)).where(Document.request_id == req.id)) == 0


def test_no_budget_line_for_the_year_refuses_the_verification(app, org):
    """Checked at 组织部核定 (tests/test_one_gate_budget.py has the rest), not only at 校党委."""
    allowance_world(org, budget=None)
    req = _org_dept(org)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.org_dept_user, A)
    assert "2025年度「书记补贴」校级预算尚未设置" in exc.value.message


def test_the_adjusted_total_is_what_is_reserved(world):
    req = _org_dept(world)
    apply_action(req, world.org_dept_user, ADJ, payload=adjust_payload(req.lines[0], amount="2400.00",
                                                                         reward="0.00"))
    apply_action(req, world.org_dept_user, A)
    apply_action(req, world.school_user, A)
    assert _line().reserved == D("2400.00")


def test_rejection_and_withdrawal_leave_nothing_reserved(world):
    rejected, withdrawn = _school(world), _b_school(world)
    apply_action(rejected, world.school_user, R, opinion="不同意")
    apply_action(withdrawn, world.secondary_b, W)
    line = _line()
    assert (line.reserved, line.spent) == (D("0.00"), D("0.00"))


# --- documents ----------------------------------------------------------------------------------------

def _docs(req):
    return sorted((d.kind, d.part, d.title) for d in db.session.scalars(
        select(Document).where(Document.request_id == req.id)))


def test_approval_makes_the_table_and_one_notice_per_branch(world):
    req = _b_school(world)
    assert _docs(req) == []
    apply_action(req, world.school_user2, A)
    assert _docs(req) == [
        ("allowance_batch", "", "2025年度兼职支部书记补贴核定表"),
        ("allowance_notice", f"branch-{world.branch_b1.id}", "关于核定经济学院教工党支部2025年度兼职支部书记补贴的通知"),
    ]


def test_rejection_makes_only_the_table(world):
    req = _school(world)
    apply_action(req, world.school_user, R, opinion="不同意")
    assert _docs(req) == [("allowance_batch", "", "2025年度兼职支部书记补贴核定表")]
