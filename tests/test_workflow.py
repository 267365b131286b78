"""The approval engine as a table: state × user × action → allowed (next state and step) or refused.

党费减免 (§三(二)3): 党支部讨论 → 二级党组织意见 → 校党委审批; a 直属党支部 goes from the branch
straight to the school. Recusal (回避): nobody acts where they are the initiator or the beneficiary.
"""
from datetime import date

import pytest
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Document, RequestState, TimelineEntry
from dangjian.workflow import (Action, ActionRefused, AlreadyHandled, MeetingRecord, apply_action,
                               available_actions)
from dangjian.workflow.definition import nobody_acted_on_current_step
from tests.workflow_table import check_case, ok, refused
from tests.delegation_support import delegate, transfer_kw
from tests.factories import MEETING, MEETING_AGAINST, approve, make_member, make_user, new_waiver

MEETING_TIE = MeetingRecord("branch_committee", date(2026, 1, 5), 2, 2, 1)

A, R, RET, W, S = Action.APPROVE, Action.REJECT, Action.RETURN, Action.WITHDRAW, Action.SUBMIT
TB = Action.TAKE_BACK
AB = Action.ABANDON
TR = Action.TRANSFER
STEP_HOLDER = {A, R, RET}
P = RequestState.PENDING


def act(req, user, action, **kw):
    """Apply `action` with what a valid form would send: an opinion, and the meeting at the branch."""
    if action is TR:
        kw = transfer_kw(kw)
    step = type(req).workflow.step(req.current_step)
    if action in (A, R) and step is not None and step.records_meeting:
        kw.setdefault("meeting", MEETING if action is A else MEETING_AGAINST)
    if action in (R, RET, AB):
        kw.setdefault("opinion", f"{action.label}的意见")
    return apply_action(req, user, action, **kw)


# Scenarios: how the request got to where the case starts. Each returns the request.
def _branch(o):
    return new_waiver(o.member)


def _secondary(o):
    req = new_waiver(o.member)
    approve(req, o.secretary)
    return req


def _school(o):
    req = _secondary(o)
    approve(req, o.secondary)
    return req


def _approved(o):
    req = _school(o)
    approve(req, o.school_user)
    return req


def _rejected(o):
    req = _secondary(o)
    act(req, o.secondary, R)
    return req


def _returned(o):
    req = _branch(o)
    act(req, o.secretary, RET)
    return req


def _withdrawn(o):
    req = _branch(o)
    act(req, o.member, W)
    return req


def _returned_on_behalf(o):
    """org.committee filed for org.member; the secretary sent it back to the initiator."""
    req = new_waiver(o.member, initiator=o.committee)
    act(req, o.secretary, RET)
    return req


def _abandoned(o):
    """Returned, then given up by its initiator (撤销申请)."""
    req = _returned(o)
    act(req, o.member, AB)
    return req


def _draft(o):
    return new_waiver(o.member, submit=False)


def _direct_branch(o):
    return new_waiver(o.direct_member)


def _direct_school(o):
    req = new_waiver(o.direct_member)
    approve(req, o.direct_secretary)
    return req


def _committee_for_self(o):
    """org.committee (a holder of the branch role) applies for themself."""
    return new_waiver(o.committee)


def _committee_on_behalf(o):
    """org.committee files on behalf of org.member (a scan of the signed application attached)."""
    return new_waiver(o.member, initiator=o.committee)


def _secondary_is_beneficiary(o):
    """org.secretary files for 陈组织员, who holds the secondary role above the branch."""
    req = new_waiver(o.secondary, initiator=o.secretary)
    approve(req, o.committee)  # the initiator is recused at the branch; the other holder acts
    return req


def _school_member_at_school(o):
    """张校领导 (校党委) applied for themself; the request reached the school step."""
    req = new_waiver(o.school_user)
    approve(req, o.secretary_b)
    approve(req, o.secondary_b)
    return req


def _withdrawn_then_overlapped(o):
    """Withdrawn; then a new waiver for the same months was filed (a withdrawn one holds none)."""
    req = _withdrawn(o)
    new_waiver(o.member, start_month=date(2026, 3, 1), end_month=date(2026, 8, 1))
    return req


def _branch_delegated(o):
    """李书记 is away and named 张堃 (member2) as deputy for today (委托代理)."""
    req = new_waiver(o.member)
    delegate(o.secretary, o.member2)
    return req


def _branch_delegation_over(o):
    req = new_waiver(o.member)
    delegate(o.secretary, o.member2, starts=-7, ends=-1)
    return req


def _only_secretary_filed(o):
    """钱书记, the only secretary of 会计学院本科生党支部, filed for a member: nobody at the branch may
    act, so the branch step waits at 会计学院党委 (no request stuck)."""
    member = make_user("member_a2", make_member(o.branch_a2, "林同学"))
    return new_waiver(member, initiator=o.secretary_a2)


SCENARIOS = {f.__name__[1:]: f for f in (
    _branch, _secondary, _school, _approved, _rejected, _returned, _withdrawn, _draft, _direct_branch,
    _direct_school, _committee_for_self, _committee_on_behalf, _secondary_is_beneficiary,
    _school_member_at_school, _branch_delegated, _branch_delegation_over, _only_secretary_filed,
    _withdrawn_then_overlapped, _returned_on_behalf, _abandoned)}
# Refused by the workflow's gate (on_transition), after the lock: the button still shows, since the
# initiator edits the request (e.g. its months) before submitting it again.
GATED = {"withdrawn_then_overlapped"}


NOT_HOLDER = "您不是当前审批环节的处理人"
RECUSED_INITIATOR = "您是本申请的发起人，按回避规定不能审批本申请"
RECUSED_BENEFICIARY = "您是本申请的受益人，按回避规定不能审批本申请"

CASES = [
    # 党支部讨论: either holder of the branch role acts; the meeting is recorded.
    ("branch", "secretary", A, {}, ok(P, "secondary")),
    ("branch", "committee", A, {}, ok(P, "secondary")),
    ("branch", "secretary", R, {}, ok(RequestState.REJECTED)),
    ("branch", "secretary", RET, {}, ok(RequestState.RETURNED)),
    ("branch", "member", W, {}, ok(RequestState.WITHDRAWN)),
    # Wrong role, or the right role in the wrong organization.
    ("branch", "member", A, {}, refused(NOT_HOLDER)),
    ("branch", "member2", A, {}, refused(NOT_HOLDER)),
    ("branch", "secretary_a2", A, {}, refused(NOT_HOLDER)),  # sibling branch
    ("branch", "secretary_b", A, {}, refused(NOT_HOLDER)),  # branch of another unit
    ("branch", "secondary", A, {}, refused(NOT_HOLDER)),  # not yet the secondary's step
    ("branch", "school_user", A, {}, refused(NOT_HOLDER)),
    ("branch", "supervisor", A, {}, refused(NOT_HOLDER)),  # 纪委 reads, changes nothing
    ("branch", "sysadmin", A, {}, refused(NOT_HOLDER)),
    ("branch", "org_dept_user", R, {}, refused(NOT_HOLDER)),
    ("branch", "secretary", W, {}, refused("只有发起人可以撤回")),
    ("branch", "member", S, {}, refused("不能提交")),
    # 二级党组织意见.
    ("secondary", "secondary", A, {}, ok(P, "school")),
    ("secondary", "secondary", R, {}, ok(RequestState.REJECTED)),
    ("secondary", "secondary", RET, {}, ok(RequestState.RETURNED)),
    ("secondary", "secondary", RET, {"return_to": "branch"}, ok(P, "branch")),
    ("secondary", "secondary", RET, {"return_to": "school"}, refused("只能退回到之前的审批环节")),
    ("secondary", "secondary_b", A, {}, refused(NOT_HOLDER)),  # secondary of another unit
    ("secondary", "secretary", A, {}, refused(NOT_HOLDER)),  # the branch already acted
    ("secondary", "school_user", A, {}, refused(NOT_HOLDER)),
    # Withdraw: nobody has acted on the current (secondary) step yet (DOMAIN: Actions).
    ("secondary", "member", W, {}, ok(RequestState.WITHDRAWN)),
    # 校党委审批: the final step.
    ("school", "school_user", A, {}, ok(RequestState.APPROVED)),
    ("school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    ("school", "school_user", R, {}, ok(RequestState.REJECTED)),
    ("school", "school_user", RET, {}, ok(RequestState.RETURNED)),
    ("school", "school_user", RET, {"return_to": "secondary"}, ok(P, "secondary")),
    ("school", "school_user", RET, {"return_to": "branch"}, ok(P, "branch")),
    ("school", "school_user", RET, {"return_to": "nonsense"}, refused("只能退回到之前的审批环节")),
    ("school", "secondary", A, {}, refused(NOT_HOLDER)),
    ("school", "org_dept_user", A, {}, refused(NOT_HOLDER)),
    # Ended requests: nothing more happens.
    ("approved", "school_user", A, {}, refused("不能同意")),
    ("approved", "school_user", RET, {}, refused("不能退回修改")),
    ("approved", "member", W, {}, refused("不能撤回")),
    ("approved", "member", S, {}, refused("不能提交")),
    ("rejected", "school_user", A, {}, refused("不能同意")),
    ("rejected", "member", W, {}, refused("不能撤回")),
    ("rejected", "member", S, {}, refused("不能提交")),
    # Returned / withdrawn: the initiator resubmits to the first step; nobody else does.
    ("returned", "member", S, {}, ok(P, "branch")),
    ("returned", "secretary", S, {}, refused("只有发起人可以提交")),
    ("returned", "secretary", A, {}, refused("不能同意")),
    ("returned", "member", W, {}, refused("不能撤回")),
    ("withdrawn", "member", S, {}, ok(P, "branch")),
    ("withdrawn", "member", W, {}, refused("不能撤回")),
    ("withdrawn", "secretary", A, {}, refused("不能同意")),
    ("draft", "member", S, {}, ok(P, "branch")),
    # The gate: no two live waivers of a member cover the same month (checked at every submission).
    ("withdrawn_then_overlapped", "member", S, {}, refused("期间不能重叠")),
    ("draft", "secretary", A, {}, refused("不能同意")),
    # 直属党支部: branch → school, no secondary step.
    ("direct_branch", "direct_secretary", A, {}, ok(P, "school")),
    ("direct_branch", "secretary", A, {}, refused(NOT_HOLDER)),
    ("direct_school", "school_user", A, {}, ok(RequestState.APPROVED)),
    ("direct_school", "school_user", RET, {"return_to": "branch"}, ok(P, "branch")),
    ("direct_school", "school_user", RET, {"return_to": "secondary"}, refused("只能退回到之前的审批环节")),
    ("direct_school", "secondary", A, {}, refused(NOT_HOLDER)),
    ("direct_school", "secondary_b", A, {}, refused(NOT_HOLDER)),
    # Recusal (回避): another holder of the role acts instead.
    ("committee_for_self", "committee", A, {}, refused(RECUSED_INITIATOR)),
    ("committee_for_self", "committee", R, {}, refused(RECUSED_INITIATOR)),
    ("committee_for_self", "committee", RET, {}, refused(RECUSED_INITIATOR)),
    ("committee_for_self", "secretary", A, {}, ok(P, "secondary")),
    ("committee_on_behalf", "committee", A, {}, refused(RECUSED_INITIATOR)),
    ("committee_on_behalf", "secretary", A, {}, ok(P, "secondary")),
    ("committee_on_behalf", "committee", W, {}, ok(RequestState.WITHDRAWN)),
    ("committee_on_behalf", "member", W, {}, refused("只有发起人可以撤回")),  # beneficiary ≠ initiator
    ("secondary_is_beneficiary", "secondary", A, {}, refused(RECUSED_BENEFICIARY)),
    ("secondary_is_beneficiary", "secondary", R, {}, refused(RECUSED_BENEFICIARY)),
    ("school_member_at_school", "school_user", A, {}, refused(RECUSED_INITIATOR)),
    ("school_member_at_school", "school_user2", A, {}, ok(RequestState.APPROVED)),
    # The branch's decision agrees with the meeting's vote (同意 needs more than half in favour).
    ("branch", "secretary", A, {"meeting": MEETING_AGAINST}, refused("同意1票、反对4票、弃权0票，同意票未过半数")),
    ("branch", "secretary", A, {"meeting": MEETING_TIE}, refused("同意2票、反对2票、弃权1票，同意票未过半数")),
    ("branch", "secretary", R, {"meeting": MEETING}, refused("同意票已过半数，不能作出不同意的决定")),
    ("branch", "secretary", R, {"meeting": MEETING_TIE}, ok(RequestState.REJECTED)),
    ("branch", "secretary", RET, {"meeting": MEETING_AGAINST}, ok(RequestState.RETURNED)),
    # 取回: the approver whose 同意 moved the request on, while the next step has not acted.
    ("secondary", "secretary", TB, {}, ok(P, "branch")),
    ("secondary", "committee", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("secondary", "member", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("secondary", "secondary", TB, {}, refused("只有作出该决定的审批人可以取回")),
    ("school", "secondary", TB, {}, ok(P, "secondary")),
    ("school", "secretary", TB, {}, refused("下一环节已经处理，不能取回")),
    ("direct_school", "direct_secretary", TB, {}, ok(P, "branch")),
    ("secondary_is_beneficiary", "committee", TB, {}, ok(P, "branch")),
    ("approved", "school_user", TB, {}, refused("不能取回")),  # a final decision: documents may be out
    ("rejected", "secondary", TB, {}, refused("不能取回")),
    ("returned", "secretary", TB, {}, refused("不能取回")),
    ("withdrawn", "secretary", TB, {}, refused("不能取回")),
    # 代为处理 (委托代理): the deputy acts for the holder while the delegation runs, and only then.
    ("branch_delegated", "member2", A, {}, ok(P, "secondary")),
    ("branch_delegated", "member2", RET, {}, ok(RequestState.RETURNED)),
    ("branch_delegated", "secretary", A, {}, ok(P, "secondary")),  # the holder still acts in person
    ("branch_delegation_over", "member2", A, {}, refused(NOT_HOLDER)),
    # No request stuck: the branch step went to the secondary unit.
    ("only_secretary_filed", "secondary", A, {}, ok(P, "secondary")),
    ("only_secretary_filed", "secretary_a2", A, {}, refused(RECUSED_INITIATOR)),
    # 转办 (组织部): to a named holder of a role on the step's chain.
    ("branch", "org_dept_user", TR, {"assignee": "committee"}, ok(P, "branch")),
    ("branch", "org_dept_user", TR, {"assignee": "secretary_b"}, refused("不担任本环节可处理的角色")),
    ("branch", "org_dept_user", TR, {"assignee": "member"}, refused("不担任本环节可处理的角色")),
    ("committee_on_behalf", "org_dept_user", TR, {"assignee": "committee"}, refused("赵支委须回避本申请")),
    ("branch", "secondary", TR, {}, refused("您无权转办")),
    ("branch", "secretary", TR, {}, refused("您无权转办")),
    ("school", "org_dept_user", TR, {"assignee": "school2"}, ok(P, "school")),
    ("approved", "org_dept_user", TR, {}, refused("不能转办")),
    # 撤销申请: the initiator gives up a returned or withdrawn request, with a reason; it ends there.
    ("returned", "member", AB, {}, ok(RequestState.ABANDONED)),
    ("withdrawn", "member", AB, {}, ok(RequestState.ABANDONED)),
    ("returned_on_behalf", "committee", AB, {}, ok(RequestState.ABANDONED)),  # the initiator, not the member
    ("returned", "member", AB, {"opinion": "  "}, refused("撤销申请时必须填写撤销原因")),
    ("returned", "secretary", AB, {}, refused("只有发起人可以撤销申请")),  # the approver who returned it
    ("returned", "member2", AB, {}, refused("只有发起人可以撤销申请")),  # another member of the branch
    ("returned", "org_dept_user", AB, {}, refused("只有发起人可以撤销申请")),
    ("returned", "sysadmin", AB, {}, refused("只有发起人可以撤销申请")),
    ("returned_on_behalf", "member", AB, {}, refused("只有发起人可以撤销申请")),  # the beneficiary
    ("withdrawn", "secretary", AB, {}, refused("只有发起人可以撤销申请")),
    # Only from 已退回 and 已撤回: under review the initiator withdraws first; a decision stays.
    ("draft", "member", AB, {}, refused("申请当前为「草稿」状态，不能撤销申请")),
    ("branch", "member", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("school", "member", AB, {}, refused("申请当前为「审批中」状态，不能撤销申请")),
    ("approved", "member", AB, {}, refused("申请当前为「已通过」状态，不能撤销申请")),
    ("rejected", "member", AB, {}, refused("申请当前为「未通过」状态，不能撤销申请")),
    # An abandoned request is closed: nothing more happens to it.
    ("abandoned", "member", AB, {}, refused("申请当前为「已撤销申请」状态，不能撤销申请")),
    ("abandoned", "member", S, {}, refused("不能提交")),
    ("abandoned", "member", W, {}, refused("不能撤回")),
    ("abandoned", "secretary", A, {}, refused("不能同意")),
    ("abandoned", "secretary", TB, {}, refused("不能取回")),
    ("abandoned", "org_dept_user", TR, {}, refused("不能转办")),
]


def _case_id(case):
    scenario, user, action, kw, expected = case
    extra = f"-to-{kw['return_to']}" if kw.get("return_to") else ""
    if kw.get("meeting"):
        m = kw["meeting"]
        extra += f"-votes-{m.votes_for}-{m.votes_against}-{m.votes_abstain}"
    return f"{scenario}-{user}-{action.value}{extra}-{expected[0]}"


@pytest.mark.parametrize("scenario,user_key,action,kw,expected", CASES, ids=[_case_id(c) for c in CASES])
def test_transition_table(app, org, scenario, user_key, action, kw, expected):
    req = SCENARIOS[scenario](org)
    user = getattr(org, user_key)
    check_case(req, user, action, kw, expected, act, button_on_refusal=True if scenario in GATED else None)


B = {A, R, RET}
BUTTONS = [
    ("branch", "member", {W}),
    ("branch", "member2", set()),
    ("branch", "secretary", B),
    ("branch", "committee", B),
    ("branch", "secretary_a2", set()),
    ("branch", "secretary_b", set()),
    ("branch", "secondary", set()),
    ("branch", "school_user", set()),
    ("branch", "org_dept_user", {TR}),  # 转办 any pending step
    ("branch", "supervisor", set()),
    ("branch", "sysadmin", set()),
    ("secondary", "member", {W}),
    ("secondary", "secretary", {TB}),
    ("secondary", "secondary", B),
    ("secondary", "secondary_b", set()),
    ("school", "school_user", B),
    ("school", "school_user2", B),
    ("school", "secondary", {TB}),
    ("school", "member", {W}),
    ("approved", "member", set()),
    ("approved", "school_user", set()),
    ("rejected", "member", set()),
    ("returned", "member", {S, AB}),
    ("returned", "secretary", set()),
    ("withdrawn", "member", {S, AB}),
    ("returned_on_behalf", "committee", {S, AB}),
    ("returned_on_behalf", "member", set()),
    ("abandoned", "member", set()),
    ("abandoned", "secretary", set()),
    ("abandoned", "org_dept_user", set()),
    ("draft", "member", {S}),
    ("direct_branch", "direct_secretary", B),
    ("direct_branch", "direct_member", {W}),
    ("direct_school", "school_user", B),
    ("direct_school", "secondary", set()),
    ("committee_for_self", "committee", {W}),
    ("committee_for_self", "secretary", B),
    ("committee_on_behalf", "committee", {W}),
    ("committee_on_behalf", "member", set()),
    ("committee_on_behalf", "secretary", B),
    ("secondary_is_beneficiary", "secondary", set()),
    ("secondary_is_beneficiary", "secretary", {W}),
    ("secondary_is_beneficiary", "committee", {TB}),
    ("school_member_at_school", "school_user", {W}),
    ("school_member_at_school", "school_user2", B),
    ("branch_delegated", "member2", B),
    ("branch_delegation_over", "member2", set()),
    ("only_secretary_filed", "secondary", B),
    ("only_secretary_filed", "secretary_a2", {W}),
    ("only_secretary_filed", "org_dept_user", {TR}),
    ("approved", "org_dept_user", set()),
]


@pytest.mark.parametrize("scenario,user_key,expected", BUTTONS,
                         ids=[f"{s}-{u}" for s, u, _ in BUTTONS])
def test_available_actions_decide_the_buttons(app, org, scenario, user_key, expected):
    req = SCENARIOS[scenario](org)
    assert set(available_actions(req, getattr(org, user_key))) == expected


# --- Opinions and meetings -----------------------------------------------------------------------

@pytest.mark.parametrize("scenario,user_key,action", [
    ("branch", "secretary", R), ("branch", "secretary", RET),
    ("secondary", "secondary", R), ("secondary", "secondary", RET), ("school", "school_user", R),
])
@pytest.mark.parametrize("opinion", ["", "   "])
def test_reject_and_return_require_an_opinion(app, org, scenario, user_key, action, opinion):
    req = SCENARIOS[scenario](org)
    version = req.version
    with pytest.raises(ActionRefused) as exc:
        act(req, getattr(org, user_key), action, opinion=opinion)
    assert exc.value.field == "opinion" and "必须填写意见" in exc.value.message
    db.session.rollback()
    assert req.state is P and req.version == version


@pytest.mark.parametrize("action", [A, R])
def test_branch_step_requires_the_meeting_record(app, org, action):
    req = _branch(org)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.secretary, action, opinion="同意", meeting=None)
    assert exc.value.field == "meeting" and "会议记录" in exc.value.message
    db.session.rollback()
    assert (req.state, req.current_step, req.version) == (P, "branch", 1)


def test_branch_return_needs_no_meeting(app, org):
    req = _branch(org)
    apply_action(req, org.secretary, RET, opinion="请补充诊断证明", meeting=None)
    assert req.state is RequestState.RETURNED


def test_opinion_longer_than_1000_characters_is_refused(app, org):
    req = _secondary(org)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.secondary, A, opinion="同" * 1001)
    assert "1000" in exc.value.message


# --- Timeline, audit and documents ---------------------------------------------------------------

def test_every_action_writes_a_timeline_row_with_actor_role_opinion_and_meeting(app, org):
    req = new_waiver(org.member)
    meeting = MeetingRecord("branch_assembly", date(2026, 1, 8), 12, 1, 2)
    apply_action(req, org.secretary, A, opinion="经支部党员大会讨论，同意减免", meeting=meeting)
    apply_action(req, org.secondary, RET, opinion="请补充医院证明", return_to="branch")
    apply_action(req, org.committee, RET, opinion="请本人补充材料")
    apply_action(req, org.member, S)
    apply_action(req, org.member, W)
    apply_action(req, org.member, S)
    approve(req, org.secretary, opinion="同意")
    approve(req, org.secondary, opinion="情况属实，同意")
    apply_action(req, org.school_user, A, opinion="同意减免")

    rows = [(e.action, e.actor.username, e.actor_role, e.actor_org_id, e.step, e.opinion) for e in req.timeline]
    assert rows == [
        ("submit", "member", "applicant", org.branch_a1.id, None, ""),
        ("approve", "secretary", "branch_secretary", org.branch_a1.id, "branch", "经支部党员大会讨论，同意减免"),
        ("return", "secondary", "secondary", org.sec_a.id, "secondary", "请补充医院证明"),
        ("return", "committee", "branch_secretary", org.branch_a1.id, "branch", "请本人补充材料"),
        ("submit", "member", "applicant", org.branch_a1.id, None, ""),
        ("withdraw", "member", "applicant", org.branch_a1.id, None, ""),
        ("submit", "member", "applicant", org.branch_a1.id, None, ""),
        ("approve", "secretary", "branch_secretary", org.branch_a1.id, "branch", "同意"),
        ("approve", "secondary", "secondary", org.sec_a.id, "secondary", "情况属实，同意"),
        ("approve", "school", "school", org.school.id, "school", "同意减免"),
    ]
    first = req.timeline[1]
    assert (first.meeting_type, first.meeting_date, first.votes_for, first.votes_against, first.votes_abstain) \
        == ("branch_assembly", date(2026, 1, 8), 12, 1, 2)
    assert all(e.meeting_type is None for e in req.timeline[2:] if e.step != "branch")
    assert all(e.created_at is not None for e in req.timeline)
    audited = db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == req.id,
                                                                 AuditEvent.action.like("request.%"))
                                 .order_by(AuditEvent.id)).all()
    assert audited == ["request.create"] + [f"request.{a}" for a, *_ in rows]


def _documents(req):
    return db.session.scalars(select(Document).where(Document.request_id == req.id).order_by(Document.id)).all()


def test_documents_are_created_only_when_the_request_ends(app, org):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    act(req, org.secondary, RET)
    assert _documents(req) == []
    apply_action(req, org.member, S)
    approve(req, org.secretary)
    approve(req, org.secondary)
    assert _documents(req) == []
    approve(req, org.school_user)
    docs = _documents(req)
    # The 审批表, and the 批复 to the branch (with its 文号: tests/test_dues_waiver_reply.py).
    assert [(d.kind, d.version, d.status.value) for d in docs] == [("dues_waiver_form", 1, "pending"),
                                                                   ("dues_waiver_reply", 1, "pending")]


def test_a_rejected_request_gets_its_document_too(app, org):
    req = _branch(org)
    act(req, org.secretary, R)
    assert req.state is RequestState.REJECTED and req.closed_at is not None
    assert [d.kind for d in _documents(req)] == ["dues_waiver_form"]


def test_withdrawn_and_returned_requests_get_no_document(app, org):
    for req in (_withdrawn(org), _returned(org)):
        assert _documents(req) == []


def test_direct_branch_path_has_two_steps_and_its_documents(app, org):
    req = new_waiver(org.direct_member)
    assert [s.key for s in type(req).workflow.applicable_steps(req)] == ["branch", "school"]
    assert req.current_org_id == org.direct.id
    approve(req, org.direct_secretary)
    assert (req.current_step, req.current_org_id) == ("school", org.school.id)
    approve(req, org.school_user)
    assert req.state is RequestState.APPROVED
    assert [e.step for e in req.timeline] == [None, "branch", "school"]
    assert [d.kind for d in _documents(req)] == ["dues_waiver_form", "dues_waiver_reply"]


# --- Stale versions and withdraw rule ------------------------------------------------------------

def test_a_stale_version_is_already_handled(app, org):
    req = _branch(org)
    seen = req.version
    approve(req, org.secretary)
    with pytest.raises(AlreadyHandled) as exc:
        approve(req, org.committee, seen_version=seen)
    assert "该申请已被处理" in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(TimelineEntry.id))
                             .where(TimelineEntry.request_id == req.id, TimelineEntry.action == "approve")) == 1


def test_withdraw_is_refused_once_someone_acted_on_the_current_step(app, org):
    """The guard behind 撤回: an approver's entry on the current step since it was entered (a
    comment does not count: tests/test_comments.py)."""
    req = _branch(org)
    assert nobody_acted_on_current_step(req) is None
    db.session.add(TimelineEntry(request_id=req.id, actor_id=org.secretary.id, actor_role="branch_secretary",
                                 actor_org_id=org.branch_a1.id, action="adjust", step="branch", opinion="已阅",
                                 created_at=req.step_entered_at))
    db.session.commit()
    db.session.expire(req)
    assert W not in available_actions(req, org.member)
    with pytest.raises(ActionRefused) as exc:
        apply_action(req, org.member, W)
    assert "已有人处理" in exc.value.message


def test_resubmit_after_return_keeps_the_number_and_starts_over(app, org):
    req = _school(org)
    number = req.number
    act(req, org.school_user, RET)
    assert (req.state, req.current_step, req.current_org_id) == (RequestState.RETURNED, None, None)
    apply_action(req, org.member, S)
    assert (req.number, req.state, req.current_step, req.current_org_id) == (number, P, "branch", org.branch_a1.id)
    approve(req, org.secretary)
    approve(req, org.secondary)
    approve(req, org.school_user)
    assert req.state is RequestState.APPROVED


# --- The decision in effect per step (the request page's 审批进度 and the 审批表's boxes) --------

def _outcomes(req):
    from dangjian.workflow.history import step_outcomes
    return {o.step.key: (o.entry.action, o.entry.actor.username) if o.entry else None for o in step_outcomes(req)}


def test_a_return_to_an_earlier_step_reopens_the_steps_in_between(app, org):
    req = _school(org)
    assert _outcomes(req) == {"branch": ("approve", "secretary"), "secondary": ("approve", "secondary"),
                              "school": None}
    act(req, org.school_user, RET, return_to="branch")
    assert _outcomes(req) == {"branch": None, "secondary": None, "school": None}
    approve(req, org.committee)
    # The secondary unit decides again: its earlier 同意 is not shown as the decision in effect.
    assert _outcomes(req) == {"branch": ("approve", "committee"), "secondary": None, "school": None}
    act(req, org.secondary, R)
    assert _outcomes(req) == {"branch": ("approve", "committee"), "secondary": ("reject", "secondary"),
                              "school": None}


def test_a_return_to_the_middle_step_keeps_the_branch_decision(app, org):
    req = _school(org)
    act(req, org.school_user, RET, return_to="secondary")
    assert _outcomes(req) == {"branch": ("approve", "secretary"), "secondary": None, "school": None}
    approve(req, org.secondary, opinion="补充后同意")
    approve(req, org.school_user2)
    assert _outcomes(req) == {"branch": ("approve", "secretary"), "secondary": ("approve", "secondary"),
                              "school": ("approve", "school2")}


def test_a_resubmission_starts_a_new_round(app, org):
    req = _secondary(org)
    act(req, org.secondary, RET)
    apply_action(req, org.member, S)
    assert _outcomes(req) == {"branch": None, "secondary": None, "school": None}
