"""表彰推荐 as a table: state × role × action → allowed (next state and step) or refused.

§三(一)2 and issue 3: 支部推荐 (the submission) → 二级党组织审核排序 (forwards within the quota) →
组织部审核 → 校党委决定 (党委会) → 已通过; then 公示中 → 已表彰 (the system) or 已撤销 (an objection
upheld). A 直属党支部 skips the secondary step. Recusal (回避): the nominee — or, for a
先进基层党组织, its secretaries — never acts on the nomination; another holder of the role does.
"""
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from dangjian.extensions import db
from dangjian.models import RequestState, Role, RoleAssignment
from dangjian.models.base import utcnow
from dangjian.request_types.award_nomination.publicity import publish_cycle
from dangjian.timeutil import local_today
from dangjian.workflow import Action, ActionRefused, apply_action, available_actions
from tests.delegation_support import delegate, transfer_kw
from tests.workflow_table import check_case, ok, refused
from tests.factories import make_member, make_user
from tests.factories_award import (MEMBER, ORG, PARTY_MEETING, PARTY_MEETING_AGAINST, WORKER,  # noqa: F401
                                   aorg, decided, forward, make_cycle, nominate)

A, R, RET, W, S = Action.APPROVE, Action.REJECT, Action.RETURN, Action.WITHDRAW, Action.SUBMIT
PUB, REV, AWD = Action.PUBLISH, Action.REVOKE, Action.AWARD
TB = Action.TAKE_BACK
AB = Action.ABANDON
TR = Action.TRANSFER
PAID = Action.RECORD_PAID
P = RequestState.PENDING


def act(req, user, action, **kw):
    if action is TR:
        kw = transfer_kw(kw)
    step = type(req).workflow.step(req.current_step)
    if action in (A, R) and step is not None and step.records_meeting:
        kw.setdefault("meeting", PARTY_MEETING if action is A else PARTY_MEETING_AGAINST)
    if action in (R, RET, REV, AB):
        kw.setdefault("opinion", f"{action.label}的意见")
    if action is PAID and "payload" not in kw:
        kw["payload"] = {"paid_on": local_today(), "payer": "马丽（财务处）", "voucher_no": "记-0318", "amount": None}
    return apply_action(req, user, action, **kw)


# Scenarios: how the nomination got where the case starts.
def _at_secondary(o):
    return nominate(make_cycle(o), o.secretary, MEMBER, member_user=o.member)


def _at_org_dept(o):
    req = _at_secondary(o)
    forward(req, o.secondary)
    return req


def _at_school(o):
    req = _at_org_dept(o)
    act(req, o.org_dept_user, A, opinion="同意")
    return req


def _approved(o):
    req = _at_school(o)
    act(req, o.school_user, A)
    return req


def _publicizing(o):
    req = _approved(o)
    publish_cycle(req.cycle_id, o.org_dept_user)
    db.session.refresh(req)
    return req


def _returned(o):
    req = _at_secondary(o)
    act(req, o.secondary, RET)
    return req


def _withdrawn(o):
    req = _at_secondary(o)
    act(req, o.secretary, W)
    return req


def _rejected(o):
    req = _at_secondary(o)
    act(req, o.secondary, R)
    return req


def _returned_after_deadline(o):
    """Returned, then the cycle's deadline passed: it can no longer be resubmitted, only given up."""
    req = _returned(o)
    req.cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()
    return req


def _direct_returned(o):
    """A 直属党支部's nomination (its submission took its quota slot), returned by 组织部."""
    req = _direct_at_org_dept(o)
    act(req, o.org_dept_user, RET)
    return req


def _abandoned(o):
    req = _returned(o)
    act(req, o.secretary, AB)
    return req


def _direct_at_org_dept(o):
    return nominate(make_cycle(o), o.direct_secretary, MEMBER, member_user=o.direct_member)


def _org_nominee_at_secondary(o):
    """The branch recommends itself (先进基层党组织): its secretaries are the ones recused."""
    return nominate(make_cycle(o), o.secretary, ORG, org=o.branch_a1)


def _org_dept_is_nominee(o):
    """刘组织部 (组织部) is nominated by branch b1: at 组织部审核 another holder must act."""
    req = nominate(make_cycle(o), o.secretary_b, WORKER, member_user=o.org_dept_user)
    forward(req, o.secondary_b)
    return req


def _secondary_is_nominee(o):
    """陈组织员 (the secondary unit's only holder) is nominated by branch a1."""
    return nominate(make_cycle(o), o.secretary, MEMBER, member_user=o.secondary)


def _school_is_nominee_at_school(o):
    req = nominate(make_cycle(o), o.secretary_b, MEMBER, member_user=o.school_user)
    forward(req, o.secondary_b)
    act(req, o.org_dept_user, A, opinion="同意")
    return req


def _org_led_by_org_dept(o):
    """Branch b1 (先进基层党组织), whose committee includes 刘组织部: 组织部 recuses him too."""
    o.org_dept_user.role_assignments.append(RoleAssignment(role=Role.BRANCH_SECRETARY, organization=o.branch_b1))
    db.session.commit()
    req = nominate(make_cycle(o), o.secretary_b, ORG, org=o.branch_b1)
    forward(req, o.secondary_b)
    return req


def _at_secondary_delegated(o):
    """陈组织员 named 张堃 (member2, of a branch of the unit) deputy for the secondary role."""
    req = _at_secondary(o)
    delegate(o.secondary, o.member2, role=Role.SECONDARY)
    return req


def _deputy_is_nominee(o):
    """… and 张堃 is the one nominated."""
    req = nominate(make_cycle(o), o.secretary, MEMBER, member_user=o.member2)
    delegate(o.secondary, o.member2, role=Role.SECONDARY)
    return req


def _awarded(o, reward=None):
    """Through the 公示 to 已表彰 (the period over); with `reward`, a money award (表彰奖励 line)."""
    from decimal import Decimal

    from dangjian.models import BudgetLine, BudgetLineKind
    from dangjian.request_types.award_nomination.publicity import settle_cycle
    from dangjian.request_types.award_nomination.rewards import set_rewards

    cycle = make_cycle(o)
    if reward:
        set_rewards(cycle.id, o.org_dept_user, {MEMBER: Decimal(reward)})
        db.session.add(BudgetLine(year=cycle.year, kind=BudgetLineKind.AWARD, amount=Decimal("10000"),
                                  reserved=Decimal("0"), spent=Decimal("0")))
        db.session.commit()
    req = decided(o, cycle, member_user=o.member)
    publish_cycle(cycle.id, o.org_dept_user)
    db.session.expire_all()
    settle_cycle(cycle.id, now=cycle.publicity_ends_at + timedelta(minutes=1))
    db.session.expire_all()
    assert req.state is RequestState.AWARDED
    return req


def _money_awarded(o):
    return _awarded(o, reward="1000.00")


def _draft_from_assessment(o):
    """「按考核优秀推荐」: the unit's draft for its 优秀 branch (commendation.create_drafts)."""
    from dangjian.assessment.grades import AssessmentGrade
    from dangjian.request_types.award_nomination.commendation import create_drafts
    from tests.factories_assessment import graded
    cycle = make_cycle(o)
    graded(o.branch_a1, AssessmentGrade.EXCELLENT, o.org_dept_user, cycle.year - 1)
    [draft] = create_drafts(cycle, o.sec_a, o.secondary)
    return draft


SCENARIOS = {f.__name__[1:]: f for f in (
    _draft_from_assessment,
    _awarded, _money_awarded,
    _at_secondary, _at_org_dept, _at_school, _approved, _publicizing, _returned, _withdrawn, _rejected,
    _returned_after_deadline, _direct_returned, _abandoned,
    _direct_at_org_dept, _org_nominee_at_secondary, _org_dept_is_nominee, _secondary_is_nominee,
    _school_is_nominee_at_school, _org_led_by_org_dept, _at_secondary_delegated, _deputy_is_nominee)}


NOT_HOLDER = "您不是当前审批环节的处理人"
RECUSED_INITIATOR = "您是本申请的发起人，按回避规定不能审批本申请"
RECUSED_BENEFICIARY = "您是本申请的受益人，按回避规定不能审批本申请"

CASES = [
    # 二级党组织审核排序: the unit forwards (同意), declines (不同意) or returns; nobody else acts.
    ("at_secondary", "secondary", A, {}, ok(P, "org_dept")),
    ("at_secondary", "secondary", R, {}, ok(RequestState.REJECTED)),
    ("at_secondary", "secondary", RET, {}, ok(RequestState.RETURNED)),
    ("at_secondary", "secondary_b", A, {}, refused(NOT_HOLDER)),  # another unit
    ("at_secondary", "secretary", A, {}, refused(NOT_HOLDER)),  # the branch already recommended
    ("at_secondary", "org_dept_user", A, {}, refused(NOT_HOLDER)),
    ("at_secondary", "school_user", A, {}, refused(NOT_HOLDER)),
    ("at_secondary", "supervisor", A, {}, refused(NOT_HOLDER)),  # 纪委 reads, changes nothing
    ("at_secondary", "sysadmin", A, {}, refused(NOT_HOLDER)),
    ("at_secondary", "member", A, {}, refused(NOT_HOLDER)),  # the nominee
    ("at_secondary", "secretary", W, {}, ok(RequestState.WITHDRAWN)),  # nobody acted yet
    ("at_secondary", "member", W, {}, refused("只有发起人可以撤回")),  # the nominee is not the initiator
    ("at_secondary", "committee", W, {}, refused("只有发起人可以撤回")),
    ("at_secondary", "secretary", S, {}, refused("不能提交")),
    ("at_secondary", "secretary", Action.DELETE_DRAFT, {}, refused("不能删除草稿")),
    # A draft of 「按考核优秀推荐」: the unit started it, so its submission is its forwarding (quota
    # taken, as a 直属党支部's): straight to 组织部审核, never to its own 审核排序.
    ("draft_from_assessment", "secondary", S, {}, ok(P, "org_dept")),
    ("draft_from_assessment", "secretary", S, {}, refused("只有发起人可以提交")),
    ("draft_from_assessment", "secondary", A, {}, refused("不能同意")),
    ("draft_from_assessment", "secretary", Action.DELETE_DRAFT, {}, refused("只有发起人可以删除草稿")),
    ("draft_from_assessment", "org_dept_user", Action.DELETE_DRAFT, {}, refused("只有发起人可以删除草稿")),
    # 组织部审核.
    ("at_org_dept", "org_dept_user", A, {}, ok(P, "school")),
    ("at_org_dept", "org_dept2", A, {}, ok(P, "school")),
    ("at_org_dept", "org_dept_user", R, {}, ok(RequestState.REJECTED)),
    ("at_org_dept", "org_dept_user", RET, {}, ok(RequestState.RETURNED)),
    ("at_org_dept", "org_dept_user", RET, {"return_to": "secondary"}, ok(P, "secondary")),
    ("at_org_dept", "org_dept_user", RET, {"return_to": "school"}, refused("只能退回到之前的审批环节")),
    ("at_org_dept", "secondary", A, {}, refused(NOT_HOLDER)),
    ("at_org_dept", "school_user", A, {}, refused(NOT_HOLDER)),
    ("at_org_dept", "supervisor", A, {}, refused(NOT_HOLDER)),
    ("at_org_dept", "secretary", W, {}, ok(RequestState.WITHDRAWN)),  # nobody acted on this step yet
    # 校党委决定 (records the 党委会).
    ("at_school", "school_user", A, {}, ok(RequestState.APPROVED)),
    ("at_school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    ("at_school", "school_user", R, {}, ok(RequestState.REJECTED)),
    ("at_school", "school_user", RET, {"return_to": "org_dept"}, ok(P, "org_dept")),
    ("at_school", "school_user", RET, {"return_to": "secondary"}, ok(P, "secondary")),
    ("at_school", "org_dept_user", A, {}, refused(NOT_HOLDER)),
    ("at_school", "secondary", A, {}, refused(NOT_HOLDER)),
    # Decided: 组织部 publishes the whole cycle from the cycle page, not one by one.
    ("approved", "org_dept_user", PUB, {}, refused("请在评选管理页面发布公示")),
    ("approved", "school_user", A, {}, refused("不能同意")),
    ("approved", "secretary", W, {}, refused("不能撤回")),
    ("approved", "org_dept_user", AWD, {}, refused("不能确认表彰")),
    # 公示中: revoking needs an objection upheld; awarding is the system's, after the period.
    ("publicizing", "org_dept_user", REV, {}, refused("撤销推荐须在处理异议时进行")),
    ("publicizing", "school_user", REV, {}, refused("您无权撤销推荐")),
    ("publicizing", "secretary", REV, {}, refused("您无权撤销推荐")),
    ("publicizing", "org_dept_user", AWD, {}, refused("由系统自动执行")),
    ("publicizing", None, AWD, {}, refused("公示期尚未结束")),
    ("publicizing", "org_dept_user", PUB, {}, refused("不能发布公示")),
    ("publicizing", "secondary", A, {}, refused("不能同意")),
    # Returned / withdrawn: the initiator resubmits to the secondary step; rejected ends it.
    ("returned", "secretary", S, {}, ok(P, "secondary")),
    ("returned", "committee", S, {}, refused("只有发起人可以提交")),
    ("returned", "secondary", A, {}, refused("不能同意")),
    ("withdrawn", "secretary", S, {}, ok(P, "secondary")),
    ("rejected", "secretary", S, {}, refused("不能提交")),
    ("rejected", "secondary", A, {}, refused("不能同意")),
    # 直属党支部: straight to 组织部审核, no secondary step to return to.
    ("direct_at_org_dept", "org_dept_user", A, {}, ok(P, "school")),
    ("direct_at_org_dept", "secondary", A, {}, refused(NOT_HOLDER)),
    ("direct_at_org_dept", "org_dept_user", RET, {"return_to": "secondary"}, refused("只能退回到之前的审批环节")),
    ("direct_at_org_dept", "org_dept_user", RET, {}, ok(RequestState.RETURNED)),
    # Recusal (回避).
    ("org_nominee_at_secondary", "secondary", A, {}, ok(P, "org_dept")),
    ("org_dept_is_nominee", "org_dept_user", A, {}, refused(RECUSED_BENEFICIARY)),
    ("org_dept_is_nominee", "org_dept_user", RET, {}, refused(RECUSED_BENEFICIARY)),
    ("org_dept_is_nominee", "org_dept2", A, {}, ok(P, "school")),
    ("secondary_is_nominee", "secondary", A, {}, refused(RECUSED_BENEFICIARY)),
    ("secondary_is_nominee", "secondary", R, {}, refused(RECUSED_BENEFICIARY)),
    ("school_is_nominee_at_school", "school_user", A, {}, refused(RECUSED_BENEFICIARY)),
    ("school_is_nominee_at_school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    ("org_led_by_org_dept", "org_dept_user", A, {}, refused(RECUSED_BENEFICIARY)),
    ("org_led_by_org_dept", "org_dept2", A, {}, ok(P, "school")),
    # The 党委会's vote binds the school's decision.
    ("at_school", "school_user", A, {"meeting": PARTY_MEETING_AGAINST},
     refused("会议表决同意8票、反对12票、弃权2票，同意票未过半数，不能作出同意的决定")),
    ("at_school", "school_user", R, {"meeting": PARTY_MEETING}, refused("同意票已过半数，不能作出不同意的决定")),
    # 取回 by the approver whose 同意 forwarded the nomination, until the next step acts.
    ("at_org_dept", "secondary", TB, {}, ok(P, "secondary")),
    ("at_org_dept", "secretary", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("at_school", "org_dept_user", TB, {}, ok(P, "org_dept")),
    ("at_school", "org_dept2", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("at_school", "secondary", TB, {}, refused("下一环节已经处理，不能取回")),
    ("approved", "school_user", TB, {}, refused("不能取回")),  # decided: the 审批表 is out
    ("publicizing", "school_user", TB, {}, refused("不能取回")),
    # 代为处理 (委托代理), and the recusal of the deputy.
    ("at_secondary_delegated", "member2", A, {}, ok(P, "org_dept")),
    ("deputy_is_nominee", "member2", A, {}, refused(RECUSED_BENEFICIARY)),
    # No request stuck: the unit's only holder is the nominee, so 组织部 reviews in its place.
    ("secondary_is_nominee", "org_dept_user", A, {}, ok(P, "org_dept")),
    # 转办 (组织部).
    ("at_school", "org_dept_user", TR, {"assignee": "school2"}, ok(P, "school")),
    ("at_secondary", "org_dept_user", TR, {"assignee": "secretary"}, refused("不担任本环节可处理的角色")),
    ("at_secondary", "secondary", TR, {}, refused("您无权转办")),
    ("publicizing", "org_dept_user", TR, {}, refused("不能转办")),
    # 登记发放 of a money award (表彰奖励 line): 组织部, once 已表彰; nothing to pay without a reward.
    ("money_awarded", "org_dept_user", PAID, {}, ok(RequestState.AWARDED)),
    ("money_awarded", "org_dept2", PAID, {}, ok(RequestState.AWARDED)),
    ("money_awarded", "secondary", PAID, {}, refused("您无权登记发放")),
    ("money_awarded", "school_user", PAID, {}, refused("您无权登记发放")),
    ("money_awarded", "member", PAID, {}, refused("您无权登记发放")),
    ("awarded", "org_dept_user", PAID, {}, refused("没有预留的校级经费")),
    ("publicizing", "org_dept_user", PAID, {}, refused("不能登记发放")),
    # 撤销申请: the branch holder who nominated gives up a returned or withdrawn nomination (also
    # after the deadline, when it can no longer be resubmitted), with a reason.
    ("returned", "secretary", AB, {}, ok(RequestState.ABANDONED)),
    ("withdrawn", "secretary", AB, {}, ok(RequestState.ABANDONED)),
    ("returned_after_deadline", "secretary", AB, {}, ok(RequestState.ABANDONED)),
    ("returned_after_deadline", "secretary", S, {}, refused("截止")),
    ("direct_returned", "direct_secretary", AB, {}, ok(RequestState.ABANDONED)),
    ("returned", "secretary", AB, {"opinion": ""}, refused("撤销申请时必须填写撤销原因")),
    ("returned", "committee", AB, {}, refused("只有发起人可以撤销申请")),  # the other branch holder
    ("returned", "member", AB, {}, refused("只有发起人可以撤销申请")),  # the nominee
    ("returned", "secondary", AB, {}, refused("只有发起人可以撤销申请")),  # it returned the nomination
    ("direct_returned", "org_dept_user", AB, {}, refused("只有发起人可以撤销申请")),
    ("draft_from_assessment", "secondary", AB, {}, refused("申请当前为「草稿」状态，不能撤销申请")),
    ("at_secondary", "secretary", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("at_school", "secretary", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("approved", "secretary", AB, {}, refused("申请当前为「已通过」状态，不能撤销申请")),
    ("publicizing", "secretary", AB, {}, refused("申请当前为「公示中」状态，不能撤销申请")),
    ("rejected", "secretary", AB, {}, refused("不能撤销申请")),
    ("abandoned", "secretary", AB, {}, refused("不能撤销申请")),
    ("abandoned", "secretary", S, {}, refused("不能提交")),
    ("abandoned", "secondary", A, {}, refused("不能同意")),
]


def _case_id(case):
    scenario, user, action, kw, expected = case
    extra = f"-to-{kw['return_to']}" if kw.get("return_to") else ""
    if kw.get("meeting"):
        m = kw["meeting"]
        extra += f"-votes-{m.votes_for}-{m.votes_against}-{m.votes_abstain}"
    return f"{scenario}-{user or 'system'}-{action.value}{extra}-{expected[0]}"


@pytest.mark.parametrize("scenario,user_key,action,kw,expected", CASES, ids=[_case_id(c) for c in CASES])
def test_transition_table(app, aorg, scenario, user_key, action, kw, expected):
    req = SCENARIOS[scenario](aorg)
    user = getattr(aorg, user_key) if user_key else None
    check_case(req, user, action, kw, expected, act, refusal_kw={"payload": {"now": utcnow()}},
               button_on_refusal=bool(kw) or (action is REV and user_key == "org_dept_user"))


BUTTONS = [
    ("at_secondary", "secondary", {A, R, RET}),
    ("at_secondary", "secretary", {W}),
    ("at_secondary", "member", set()),
    ("at_secondary", "org_dept_user", {TR}),
    ("at_org_dept", "org_dept_user", {A, R, RET, TR}),
    ("at_org_dept", "secondary", {TB}),
    ("at_school", "school_user", {A, R, RET}),
    ("approved", "org_dept_user", set()),  # PUBLISH only once the cycle is publicizing
    ("publicizing", "org_dept_user", {REV}),  # the objection handling, in _panel_extra.html
    ("publicizing", "school_user", set()),
    ("publicizing", "member", set()),
    ("returned", "secretary", {S, AB}),
    ("returned", "secondary", set()),
    ("withdrawn", "secretary", {S, AB}),
    ("returned_after_deadline", "secretary", {AB}),  # no resubmission after the deadline: no dead end
    ("direct_returned", "direct_secretary", {S, AB}),
    ("abandoned", "secretary", set()),
    ("org_nominee_at_secondary", "secretary", {W}),
    ("org_dept_is_nominee", "org_dept_user", set()),
    ("org_dept_is_nominee", "org_dept2", {A, R, RET, TR}),
    ("secondary_is_nominee", "secondary", set()),
    ("secondary_is_nominee", "org_dept_user", {A, R, RET, TR}),
    ("at_secondary_delegated", "member2", {A, R, RET}),
    ("deputy_is_nominee", "member2", set()),
]


@pytest.mark.parametrize("scenario,user_key,expected", BUTTONS, ids=[f"{s}-{u}" for s, u, _ in BUTTONS])
def test_available_actions_decide_the_buttons(app, aorg, scenario, user_key, expected):
    req = SCENARIOS[scenario](aorg)
    assert set(available_actions(req, getattr(aorg, user_key))) == expected


def test_the_school_decision_requires_the_party_committee_meeting(app, aorg):
    req = _at_school(aorg)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, aorg.school_user, A, opinion="同意", meeting=None)
    assert exc.value.field == "meeting"
    db.session.rollback()
    entry = act(req, aorg.school_user, A)
    assert (entry.meeting_type, entry.votes_for) == ("party_committee", 21)


def test_nobody_nominates_themself(app, aorg):
    req = nominate(make_cycle(aorg), aorg.secretary, MEMBER, member_user=aorg.secretary, submit=False)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, aorg.secretary, S)
    assert "不能推荐本人" in exc.value.message
    db.session.rollback()


def test_a_secretary_nominated_by_the_other_committee_member(app, aorg):
    """A secretary nominated by the other 支委 of the branch: the nomination goes on to the unit as
    usual, and the nominee never acts on it (they hold no role above the branch here)."""
    cycle = make_cycle(aorg)
    req = nominate(cycle, aorg.committee, MEMBER, member_user=aorg.secretary)
    assert req.conflicted_member_ids() == {aorg.secretary.member_id}
    assert set(available_actions(req, aorg.secretary)) == set()
    forward(req, aorg.secondary)
    assert req.current_step == "org_dept"


def test_an_organization_nominee_recuses_its_secretaries(app, aorg):
    req = _org_nominee_at_secondary(aorg)
    assert req.conflicted_member_ids() == {aorg.secretary.member_id, aorg.committee.member_id}
    assert req.title == "推荐会计学院教工第一党支部为先进基层党组织"


# --- at most once per category per cycle (the database decides) ----------------------------------

def test_a_person_is_nominated_at_most_once_per_category_per_cycle(app, aorg):
    cycle = make_cycle(aorg)
    nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    with pytest.raises(IntegrityError):
        nominate(cycle, aorg.committee, MEMBER, member_user=aorg.member)  # the other 支委, same person
    db.session.rollback()
    # Another category, or another cycle: allowed.
    nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member)
    nominate(make_cycle(aorg, name="2026年度专项表彰"), aorg.secretary, MEMBER, member_user=aorg.member)


def test_an_organization_is_nominated_at_most_once_per_category_per_cycle(app, aorg):
    cycle = make_cycle(aorg)
    nominate(cycle, aorg.secretary, ORG, org=aorg.branch_a1)
    with pytest.raises(IntegrityError):
        nominate(cycle, aorg.committee, ORG, org=aorg.branch_a1)
    db.session.rollback()


def test_a_rejected_nomination_still_counts_as_the_one_nomination(app, aorg):
    req = _rejected(aorg)
    with pytest.raises(IntegrityError):
        nominate(req.cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    db.session.rollback()


# --- the deadline -------------------------------------------------------------------------------

def _past_deadline(cycle):
    cycle.deadline = local_today() - timedelta(days=1)
    db.session.commit()


def test_after_the_deadline_no_nomination_and_no_forwarding(app, aorg):
    cycle = make_cycle(aorg)
    waiting = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    forwarded = nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member2)
    forward(forwarded, aorg.secondary)
    returned = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member3)
    act(returned, aorg.secondary, RET)
    _past_deadline(cycle)

    late = nominate(cycle, aorg.secretary, WORKER, member_user=aorg.member3, submit=False)
    with pytest.raises(ActionRefused) as exc:
        apply_action(late, aorg.secretary, S)
    assert "推荐已于" in exc.value.message and "截止" in exc.value.message
    db.session.rollback()
    with pytest.raises(ActionRefused) as exc:
        apply_action(returned, aorg.secretary, S)
    assert "截止" in exc.value.message
    db.session.rollback()
    # The secondary unit can no longer forward, only decline; the later steps go on.
    assert A not in available_actions(waiting, aorg.secondary)
    with pytest.raises(ActionRefused) as exc:
        forward(waiting, aorg.secondary)
    assert "截止" in exc.value.message
    db.session.rollback()
    act(waiting, aorg.secondary, R)
    assert waiting.state is RequestState.REJECTED
    act(forwarded, aorg.org_dept_user, A, opinion="同意")
    assert forwarded.current_step == "school"


def test_the_deadline_day_itself_is_still_open(app, aorg):
    cycle = make_cycle(aorg, deadline=local_today())
    req = nominate(cycle, aorg.secretary, MEMBER, member_user=aorg.member)
    forward(req, aorg.secondary)
    assert req.current_step == "org_dept"


# --- timeline and audit ---------------------------------------------------------------------------

def test_the_timeline_records_the_forwarding_with_rank_and_quota(app, aorg):
    req = _at_org_dept(aorg)
    entry = req.timeline[-1]
    assert entry.action == "approve" and entry.step == "secondary"
    assert entry.detail == "报送「优秀共产党员」，排序第 1 名；会计学院党委已用名额 1/2"
    act(req, aorg.org_dept_user, RET, return_to="secondary")
    assert req.timeline[-1].detail == "释放会计学院党委「优秀共产党员」名额，已用 0/2"


def test_a_nomination_with_a_new_member_of_the_branch(app, aorg):
    """A member with a rare name character goes through to the decision (PDF fonts are tested with it)."""
    nominee = make_user("rare", make_member(aorg.branch_a2, "钱赟堃"))
    db.session.commit()
    req = decided(aorg, make_cycle(aorg), member_user=nominee, initiator=aorg.secretary_a2)
    assert req.state is RequestState.APPROVED and req.rank == 1
