"""整改任务 tracked to closure (§五3 "及时发现解决问题，促进…落到实处").

The life of a task, as data (`TRANSITIONS`): 纪委 gives it (待整改) → the owner unit submits what it
did with evidence files (提交整改材料: 待验收) → 纪委 signs it off (验收销号: 已销号) or returns it as
insufficient (退回: 已退回, with the reason) → the unit submits again. 纪委 may withdraw a task given by
mistake (撤销, with the reason). Every move goes through `TASK_STATUS` (workflow.statuses): a
conditional UPDATE on the state and `version` (two clicks cannot both win: 「该记录已被他人处理」),
with a `TaskEvent` and an audit row, in one transaction.

Beside the moves, 纪委 may extend an unfinished task's deadline with a reason (延长整改期限,
`extend_deadline`): the state stays, the history keeps the old and the new deadline, and whether the
task is overdue follows the new one (deadlines.RULE).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .. import audit, uploads
from ..dates import cn_day
from ..extensions import db
from ..models.base import utcnow
from ..timeutil import local_today
from ..workflow.statuses import StatusMachine
from . import access
from .models import UNFINISHED, InspectionFile, InspectionTask, TaskEvent, TaskState
from .operations import HANDLED, InspectionRefused, clean_text

NOTE_MAX = 1000
MAX_FILES = 10
FILE_KIND = "inspection"

OWNER, INSPECTOR = "owner", "inspector"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple
    target: TaskState
    actor: str
    note_required: bool
    note_label: str
    audit_code: str


TRANSITIONS = {t.action: t for t in (
    Transition("submit", "提交整改材料", (TaskState.OPEN, TaskState.RETURNED), TaskState.SUBMITTED, OWNER, True,
               "整改情况", "inspection.task.submitted"),
    Transition("sign_off", "验收销号", (TaskState.SUBMITTED,), TaskState.CLOSED, INSPECTOR, False,
               "验收意见", "inspection.task.signed_off"),
    Transition("return", "退回重新整改", (TaskState.SUBMITTED,), TaskState.RETURNED, INSPECTOR, True,
               "退回理由", "inspection.task.returned"),
    Transition("cancel", "撤销任务", (TaskState.OPEN, TaskState.SUBMITTED, TaskState.RETURNED), TaskState.CANCELLED,
               INSPECTOR, True, "撤销理由", "inspection.task.cancelled"),
)}
EXTEND = "extend"
EVENT_LABELS = {"create": "下达整改任务", **{a: t.label for a, t in TRANSITIONS.items()}, EXTEND: "延长整改期限"}
#: The states a task may move between: the table above, by state; 延长整改期限 keeps an unfinished
#: task where it is (a move to the same state, under the same guard).
TASK_STATUS = StatusMachine(InspectionTask, "该整改任务", {
    s: {t.target for t in TRANSITIONS.values() if s in t.sources} | ({s} if s in UNFINISHED else set())
    for s in TaskState
}, column="state", version="version")


def refusal(task: InspectionTask, user, action: str) -> str | None:
    """Why `user` may not take `action` on `task` now, or None."""
    t = TRANSITIONS.get(action)
    if t is None:
        return "不支持此操作"
    wrong_state = TASK_STATUS.refusal(task, t.sources, t.label)
    if wrong_state:
        return wrong_state
    if t.actor == OWNER and not access.is_owner(user, task):
        return f"只有整改责任单位（{task.owner.name}）可以{t.label}"
    if t.actor == INSPECTOR:
        if not access.is_inspector(user):
            return f"只有纪委可以{t.label}"
        if access.involved(user, task.finding.organization) or access.involved(user, task.owner):
            return access.RECUSAL
    return None


def available_actions(task: InspectionTask, user) -> list[str]:
    return [a for a in TRANSITIONS if refusal(task, user, a) is None]


def check_files(files) -> list:
    files, problem = uploads.check_batch(files, MAX_FILES)
    if problem:
        raise InspectionRefused(problem, "files")
    return files


def act(task: InspectionTask, user, action: str, *, version: int | None, note: str = "",
        files=()) -> InspectionTask:
    """Take `action` on `task` for `user`, or raise InspectionRefused and change nothing. `version` is
    the one the user's page showed: a page older than the task is refused, like a second click."""
    reason = refusal(task, user, action)
    if reason:
        raise InspectionRefused(reason)
    t = TRANSITIONS[action]
    note = clean_text(t.note_label, note, NOTE_MAX, "note", required=t.note_required)
    files = check_files(files) if action == "submit" else []
    if action == "submit" and not files and not task.files:
        raise InspectionRefused("请上传整改佐证材料（会议记录、制度文件、照片等），至少一个文件", "files")
    values: dict = {}
    if action == "submit":
        values["submitted_at"] = utcnow()
    elif action == "sign_off":
        values["closed_on"] = local_today()
    from_state = task.state
    written: list[str] = []
    try:
        if TASK_STATUS.move(task, t.target, frm=t.sources, seen_version=version or 0, **values) != 1:
            db.session.rollback()
            raise InspectionRefused(HANDLED)
        event = TaskEvent(task_id=task.id, action=action, actor_id=user.id, from_state=from_state.value,
                          to_state=t.target.value, note=note)
        db.session.add(event)
        db.session.flush()
        for f in files:
            att = uploads.save(f, FILE_KIND, user, written)
            db.session.add(InspectionFile(task_id=task.id, event_id=event.id, filename=att.filename,
                                          storage_path=att.storage_path, sha256=att.sha256, size=att.size,
                                          content_type=att.content_type, uploaded_by_id=user.id))
        audit.record(t.audit_code, task, user=user, from_state=from_state.value, to_state=t.target.value,
                     owner=task.owner.name, files=len(files))
        db.session.commit()
    except InspectionRefused:
        uploads.discard(written)
        raise
    except Exception:
        db.session.rollback()
        uploads.discard(written)
        raise
    db.session.expire(task)
    return task


def extend_refusal(task: InspectionTask, user) -> str | None:
    """Why `user` may not extend `task`'s deadline now, or None."""
    wrong_state = TASK_STATUS.refusal(task, UNFINISHED, "延长整改期限")
    if wrong_state:
        return wrong_state
    if not access.is_inspector(user):
        return "只有纪委可以延长整改期限"
    if access.involved(user, task.finding.organization) or access.involved(user, task.owner):
        return access.RECUSAL
    return None


def extend_deadline(task: InspectionTask, user, *, version: int | None, deadline: date | None,
                    reason: str) -> InspectionTask:
    """延长整改期限 to `deadline` (later than the current one, not in the past), with the reason: a
    conditional UPDATE on `version`, a TaskEvent with both deadlines, and an audit row."""
    refused = extend_refusal(task, user)
    if refused:
        raise InspectionRefused(refused)
    if not isinstance(deadline, date):
        raise InspectionRefused("请填写新的整改期限（年-月-日）", "deadline")
    if deadline <= task.deadline:
        raise InspectionRefused(f"新的整改期限须晚于原期限（{cn_day(task.deadline)}）", "deadline")
    if deadline < local_today():
        raise InspectionRefused("新的整改期限不能早于今天", "deadline")
    reason = clean_text("延期理由", reason, NOTE_MAX, "reason")
    old = task.deadline
    if TASK_STATUS.move(task, task.state, seen_version=version or 0, deadline=deadline) != 1:
        db.session.rollback()
        raise InspectionRefused(HANDLED)
    db.session.add(TaskEvent(task_id=task.id, action=EXTEND, actor_id=user.id, from_state=task.state.value,
                             to_state=task.state.value, note=reason, old_deadline=old, new_deadline=deadline))
    audit.record("inspection.task.extended", task, user=user, owner=task.owner.name, old_deadline=old.isoformat(),
                 new_deadline=deadline.isoformat(), reason=reason)
    db.session.commit()
    db.session.expire(task)
    return task
