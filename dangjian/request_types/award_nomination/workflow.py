"""表彰推荐: 1. 支部推荐 (the submission) → 2. 二级党组织审核排序 (forwards within the quota; skipped by
a 直属党支部, whose submission uses its own quota) → 3. 组织部审核 → 4. 校党委决定 (党委会) → 已通过,
then 公示中 (PUBLISH, by 组织部 for the whole cycle) → 已表彰 (AWARD, by the system when the
period ends without open objections) or 已撤销 (REVOKE, an objection upheld).

An award with money (rewards.py, the 表彰奖励 line): checked at 组织部审核, reserved at 校党委决定,
released when revoked, spent when 组织部 records its payment (登记发放) on the 已表彰 nomination.
"""
from __future__ import annotations

import dataclasses

from sqlalchemy import func, select, update

from ... import audit
from ...extensions import db
from ...models import RequestState, Role
from ...models.base import utcnow
from ...workflow import Action, ActionRefused, Actor, DocumentSpec, Step, Transition, Workflow
from ...workflow.statuses import StatusMachine
from ...workflow.definition import (DELETE_DRAFT, STANDARD_TRANSITIONS, Holder, TransitionContext, at_org_dept,
                                    at_school, at_secondary, has_secondary)
from ...dates import cn_day
from .documents import form_context
from .model import AwardCycle, AwardNomination, CycleStatus, Objection, ObjectionStatus
from . import quota, rewards
from ... import payments

SECONDARY_STEP = "secondary"
SCHOOL_STEP = "school"


def _accepting(req: AwardNomination) -> str | None:
    cycle = req.cycle
    if cycle.status is not CycleStatus.OPEN:
        phase = "已发布公示" if cycle.status is CycleStatus.PUBLICIZING else "已完成"
        return f"「{cycle.name}」{phase}，不再接受推荐和报送"
    if cycle.deadline_passed():
        return f"「{cycle.name}」推荐已于{cn_day(cycle.deadline)}截止，不能再推荐或报送"
    return None


def submit_guard(req: AwardNomination) -> str | None:
    """A nomination is submitted (or resubmitted) only while its cycle accepts nominations."""
    return _accepting(req)


def approve_guard(req: AwardNomination) -> str | None:
    """Forwarding (the secondary unit's 同意) closes with the deadline too; 组织部 and 校党委 go on."""
    if req.current_step == SECONDARY_STEP:
        return _accepting(req)
    return None


def publish_guard(req: AwardNomination) -> str | None:
    if req.cycle.status is not CycleStatus.PUBLICIZING:
        return "请在评选管理页面发布公示"
    return None


def _ranked_by_unit(req: AwardNomination) -> bool:
    """The 审核排序 step: a branch's nomination under a secondary unit, unless the unit started it."""
    return has_secondary(req) and not req.by_unit


def _to(state):
    return lambda wf, req, params: (state, None)


def _with_guard(t: Transition, guard) -> Transition:
    return dataclasses.replace(t, guard=guard)


_org_dept = Holder(Role.ORG_DEPT, at_org_dept)

TRANSITIONS = tuple(
    _with_guard(t, submit_guard) if t.action is Action.SUBMIT
    else _with_guard(t, approve_guard) if t.action is Action.APPROVE
    else t
    for t in STANDARD_TRANSITIONS
) + (
    # A draft (「按考核优秀推荐」 makes them, commendation.py) is removed by its initiator.
    DELETE_DRAFT,
    Transition(Action.PUBLISH, frozenset({RequestState.APPROVED}), _org_dept,
               _to(RequestState.PUBLICIZING), guard=publish_guard),
    # Upheld objection: only through the objection handling (the hook checks the objection).
    Transition(Action.REVOKE, frozenset({RequestState.PUBLICIZING}), _org_dept, _to(RequestState.REVOKED),
               opinion_required=True),
    Transition(Action.AWARD, frozenset({RequestState.PUBLICIZING}), Actor.SYSTEM, _to(RequestState.AWARDED)),
    # An award with money (rewards.py): 组织部 records its payment; the nominee is recused (Holder).
    Transition(Action.RECORD_PAID, frozenset({RequestState.AWARDED}), _org_dept, _to(RequestState.AWARDED),
               guard=payments.unpaid_guard),
)


def _touch_open_cycle(req: AwardNomination, now) -> None:
    """Lock the cycle row while it is open: a publication racing this nomination either waits for
    it (and then sees it under review) or has already closed the cycle (and this is refused)."""
    touched = db.session.execute(
        update(AwardCycle).where(AwardCycle.id == req.cycle_id, AwardCycle.status == CycleStatus.OPEN)
        .values(updated_at=now).execution_options(synchronize_session=False)).rowcount
    if touched != 1:
        raise ActionRefused(f"「{req.cycle.name}」已进入公示阶段，不再接受推荐和报送")


def on_transition(ctx: TransitionContext) -> None:
    req: AwardNomination = ctx.request
    now = ctx.payload.get("now") or utcnow()
    details = []
    if ctx.action is Action.SUBMIT:
        if req.beneficiary_id is not None and req.beneficiary_id == ctx.user.member_id:
            raise ActionRefused("不能推荐本人，请由支部其他委员发起推荐")
        _touch_open_cycle(req, now)
        quota.append_position(req)
        if not req.forwarded_on_submit:
            req.rank = None
        else:  # a 直属党支部's (or the unit's own, by_unit) submission is its forwarding: it uses the quota
            details.append(quota.take_slot(req))
    elif ctx.action is Action.APPROVE and ctx.from_step == SECONDARY_STEP:
        _touch_open_cycle(req, now)
        details.append(quota.take_slot(req))
    elif ctx.action is Action.APPROVE and ctx.from_step == "org_dept":
        details.append(rewards.check_line(req))
    elif ctx.action is Action.APPROVE and ctx.to_state is RequestState.APPROVED:
        details.append(rewards.reserve(req, ctx.user.id))
    elif ctx.action is Action.RECORD_PAID:
        payments.record(ctx)
        return
    elif ctx.action in (Action.REJECT, Action.WITHDRAW, Action.ABANDON) or (
            ctx.action is Action.RETURN and (ctx.to_step is None or ctx.to_step == SECONDARY_STEP)) or (
            ctx.action is Action.TAKE_BACK and ctx.to_step == SECONDARY_STEP):  # 取回 of the forwarding
        details.append(quota.release_slot(req))
    elif ctx.action is Action.PUBLISH:
        req.publicized_at = now
    elif ctx.action is Action.REVOKE:
        details.append(_uphold(req, ctx))
        details.append(rewards.release(req, ctx.user.id))
    elif ctx.action is Action.AWARD:
        if not req.cycle.publicity_over(now):
            raise ActionRefused("公示期尚未结束，不能确认表彰")
        if _open_objections(req.id):
            raise ActionRefused("该推荐尚有未处理的异议，处理后才能确认表彰")
        ctx.entry.opinion = ctx.entry.opinion or "公示期满，无异议或异议经核实不成立，予以表彰。"
    ctx.entry.detail = "；".join(d for d in details if d)


def _open_objections(nomination_id: int) -> int:
    return db.session.scalar(select(func.count(Objection.id)).where(
        Objection.nomination_id == nomination_id, Objection.status == ObjectionStatus.OPEN)) or 0


def _uphold(req: AwardNomination, ctx: TransitionContext) -> str:
    """撤销推荐 records the objection it upholds, in the same transaction."""
    objection_id = ctx.payload.get("objection_id")
    if objection_id is None:
        raise ActionRefused("撤销推荐须在处理异议时进行：请在异议处理中选择「异议成立」")
    handled = OBJECTION_STATUS.move(objection_id, ObjectionStatus.UPHELD, frm=ObjectionStatus.OPEN,
                                    where=(Objection.nomination_id == req.id,), handled_by_id=ctx.user.id,
                                    handled_at=ctx.entry.created_at, handling_reason=ctx.entry.opinion)
    if handled != 1:
        raise ActionRefused("该异议已被处理，请刷新后查看")
    audit.record("award_objection.upheld", db.session.get(Objection, objection_id), user=ctx.user,
                 nomination=req.number)
    return "异议成立，撤销推荐"


WORKFLOW = Workflow(
    steps=(
        # Forwarding fixes the 排序 in the order of the forwardings: done on the ranking page, one by one.
        Step(SECONDARY_STEP, "二级党组织审核排序", "二级党组织审核排序意见", Role.SECONDARY, at_secondary,
             applies=_ranked_by_unit,
             batch_refusal="「二级党组织审核排序」须在「表彰推荐审核排序」页面按名次逐个报送，不能批量同意"),
        Step("org_dept", "组织部审核", "党委组织部审核意见", Role.ORG_DEPT, at_org_dept),
        Step(SCHOOL_STEP, "校党委决定", "校党委决定意见", Role.SCHOOL, at_school,
             records_meeting=True, meeting_types=("party_committee",)),
    ),
    transitions=TRANSITIONS,
    documents=(
        # At the school's decision, and again (a new version with the 公示 result) at the end.
        DocumentSpec("award_nomination_form", "表彰推荐审批表", "pdf/award_nomination_form.html", form_context,
                     on_states=frozenset({RequestState.APPROVED, RequestState.AWARDED, RequestState.REVOKED})),
    ),
    approved_state=RequestState.APPROVED,
    closed_states=frozenset({RequestState.REJECTED, RequestState.AWARDED, RequestState.REVOKED}),
    on_transition=on_transition,
)

AwardNomination.workflow = WORKFLOW

# The cycle and its objections have a status of their own (workflow.statuses): the moves allowed.
#: 一次评选: 征集推荐 → 公示中 (组织部 发布公示) → 已完成 (the period over, every nomination settled).
CYCLE_STATUS = StatusMachine(AwardCycle, "本次评选", {
    CycleStatus.OPEN: {CycleStatus.PUBLICIZING},
    CycleStatus.PUBLICIZING: {CycleStatus.COMPLETED},
    CycleStatus.COMPLETED: set(),
})
#: 异议: 待处理 → 异议成立 (the nomination is revoked with it) or 异议不成立. A decision stays.
OBJECTION_STATUS = StatusMachine(Objection, "该异议", {
    ObjectionStatus.OPEN: {ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED},
    ObjectionStatus.UPHELD: set(),
    ObjectionStatus.DISMISSED: set(),
})
