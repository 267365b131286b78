"""The moves of an assessment and of a 整改任务, declared as data: which action, from which states, to
which state, by whom. `refusal(obj, user, action)` says why not (Chinese) or None; `actions(obj,
user)` gives exactly the buttons to show. The state itself changes only through the StatusMachines
below: one conditional UPDATE (`WHERE state = <from>`), so two clicks cannot both win.

    待自评 ─提交自评→ 已提交自评 ─评定(优秀/良好)→ 已评定
                      │  ↑           └─评定(一般/差)→ 整改中 ─(约谈已记录, 任务全部销号)→ 已整改
                 退回修改 └─提交自评─ 退回修改

    整改任务: 整改中 ─提交整改情况→ 待验收 ─验收销号→ 已销号
                 ↑────退回重新整改───┘
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

from ..dates import cn_day
from ..workflow.statuses import StatusMachine
from . import access
from .models import Assessment, AssessmentState, RectificationTask, TaskState

S, T = AssessmentState, TaskState


class Who(enum.Enum):
    UNIT = "unit"  # the assessed organization's own people
    ORG_DEPT = "org_dept"  # 组织部, not for an organization they belong to or lead
    SYSTEM = "system"


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: frozenset
    who: Who
    reason_required: bool = False


ASSESSMENT_MOVES = {m.action: m for m in (
    Move("submit", "提交自评", frozenset({S.PENDING, S.RETURNED}), Who.UNIT),
    Move("return", "退回修改", frozenset({S.SUBMITTED}), Who.ORG_DEPT, reason_required=True),
    # Graded from 待自评/退回修改 only once the deadline has passed (a unit that never submitted).
    Move("grade", "评定", frozenset({S.SUBMITTED, S.PENDING, S.RETURNED}), Who.ORG_DEPT),
    Move("interview", "记录约谈", frozenset({S.RECTIFYING}), Who.ORG_DEPT),
    Move("add_task", "下达整改任务", frozenset({S.RECTIFYING}), Who.ORG_DEPT),
    Move("rectified", "整改完成", frozenset({S.RECTIFYING}), Who.SYSTEM),
)}

TASK_MOVES = {m.action: m for m in (
    Move("submit", "提交整改情况", frozenset({T.OPEN}), Who.UNIT),
    Move("sign_off", "验收销号", frozenset({T.SUBMITTED}), Who.ORG_DEPT),
    Move("reject", "退回重新整改", frozenset({T.SUBMITTED}), Who.ORG_DEPT, reason_required=True),
)}

ASSESSMENT_STATUS = StatusMachine(Assessment, "该考核", {
    S.PENDING: {S.SUBMITTED, S.GRADED, S.RECTIFYING},
    S.SUBMITTED: {S.RETURNED, S.GRADED, S.RECTIFYING},
    S.RETURNED: {S.SUBMITTED, S.GRADED, S.RECTIFYING},
    S.GRADED: set(),
    S.RECTIFYING: {S.RECTIFIED, S.RECTIFYING},  # 约谈 and 整改任务 hold it there (operations._touch)
    S.RECTIFIED: set(),
}, column="state")

TASK_STATUS = StatusMachine(RectificationTask, "该整改任务", {
    T.OPEN: {T.SUBMITTED},
    T.SUBMITTED: {T.CLOSED, T.OPEN},
    T.CLOSED: set(),
}, column="state")


def _who_refusal(move: Move, org, user) -> str | None:
    if move.who is Who.SYSTEM:
        return f"「{move.label}」由系统在条件满足时自动完成" if user is not None else None
    if user is None:
        return "需要登录用户执行此操作"
    if move.who is Who.UNIT:
        if not access.acts_for_unit(user, org):
            who = "支部书记/支委" if org.is_branch else "二级党组织书记/组织员"
            return f"只有{org.name}的{who}可以{move.label}"
        return None
    if not access.is_org_dept(user):
        return f"只有组织部可以{move.label}"
    return access.conflict(user, org)


def refusal(a: Assessment, user, action: str) -> str | None:
    move = ASSESSMENT_MOVES.get(action)
    if move is None:
        return "不支持此操作"
    reason = ASSESSMENT_STATUS.refusal(a, move.sources, move.label) or _who_refusal(move, a.organization, user)
    if reason:
        return reason
    if action == "grade" and a.state is not S.SUBMITTED and not a.cycle.deadline_passed():
        return f"{a.organization.name}尚未提交自评；自评截止（{cn_day(a.cycle.deadline)}）前不能评定"
    if action == "rectified":
        if not a.interviews:
            return "尚未记录约谈"
        if not a.tasks or a.open_tasks:
            return "整改任务尚未全部验收销号"
    return None


def actions(a: Assessment, user) -> list[str]:
    return [k for k, m in ASSESSMENT_MOVES.items() if m.who is not Who.SYSTEM and refusal(a, user, k) is None]


def task_refusal(task: RectificationTask, user, action: str) -> str | None:
    move = TASK_MOVES.get(action)
    if move is None:
        return "不支持此操作"
    if task.assessment.state is not S.RECTIFYING:
        return f"该考核当前为「{task.assessment.state.label}」，整改任务不能再办理"
    return TASK_STATUS.refusal(task, move.sources, move.label) or _who_refusal(move, task.assessment.organization, user)


def task_actions(task: RectificationTask, user) -> list[str]:
    return [k for k in TASK_MOVES if task_refusal(task, user, k) is None]
