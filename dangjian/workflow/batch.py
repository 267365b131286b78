"""批量同意 (issue 8 §1): approve several requests from 待办 with one opinion.

What a batch is: requests of one type waiting at one step of one organization — the same decision
by the same body (one 支委会 often discusses several waivers, one 党委会 decides several
nominations), so one opinion and, where the step records a meeting, one meeting record serve them
all. Requests at different steps, or at a step whose decision needs work on each request
(`Step.batch_refusal`), are refused up-front and nothing is done.

Each request still goes through `apply_action` on its own, in its own transaction, with the
version its card showed: the engine's rules (recusal, the vote that binds, budget, quota, the
conditional UPDATE) decide each one, and one failure does not undo the others. A selected id that
is not in the user's 待办 is reported as failed and never acted on. One `request.batch_approve`
audit row sums the batch up, beside each approval's own row.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Organization, Request, User
from .definition import Action, MeetingRecord, Step
from .engine import AlreadyHandled, WorkflowError, apply_action, refusal, workflow_of
from .history import where_now

MAX_ITEMS = 100


class BatchRefused(WorkflowError):
    """The batch as a whole cannot be sent (nothing was done)."""


@dataclass(frozen=True)
class Selected:
    """One ticked card: the request and the version the card showed."""

    request_id: int
    seen_version: int

    @property
    def value(self) -> str:
        return f"{self.request_id}:{self.seen_version}"


def parse_items(values: Iterable[str]) -> list[Selected]:
    """The ticked cards, as the form sends them ("12:3"), in order and without repeats."""
    items, seen = [], set()
    for value in values:
        rid, _, version = (value or "").partition(":")
        if not (rid.isdigit() and version.isdigit()):
            raise BatchRefused("所选申请的数据有误，请刷新页面后重新选择")
        if int(rid) not in seen:
            seen.add(int(rid))
            items.append(Selected(int(rid), int(version)))
    if not items:
        raise BatchRefused("请先勾选要批量同意的申请")
    if len(items) > MAX_ITEMS:
        raise BatchRefused(f"一次最多批量同意{MAX_ITEMS}项申请，当前选择了{len(items)}项")
    return items


@dataclass(frozen=True)
class Group:
    """What a batch decides: one request type's step at one organization."""

    type_label: str
    step: Step
    org: Organization

    @property
    def label(self) -> str:
        return f"{self.type_label} · {self.step.label}（{self.org.name}）"


def offered(req: Request) -> bool:
    """Whether 待办 offers the card for a batch (a checkbox): its step allows 批量同意."""
    step = workflow_of(req).step(req.current_step)
    return step is not None and step.batch_refusal is None


@dataclass
class Plan:
    items: list[Selected]
    group: Group | None  # None when no selected request is in the user's 待办 any more
    ready: dict[int, Request]  # in 待办 and unchanged since the card showed it


def plan(user: User, items: list[Selected]) -> Plan:
    """Check the batch up-front: the selected requests still in the user's 待办 are of one type at one
    step of one organization, where 批量同意 makes sense. Raises BatchRefused, else the Plan."""
    from ..inbox import todo_condition  # inbox reads the workflow; import it late

    found = db.session.scalars(select(Request).where(
        Request.id.in_([i.request_id for i in items]), todo_condition(user))).all()
    seen = {i.request_id: i.seen_version for i in items}
    ready = {r.id: r for r in found if r.version == seen[r.id]}
    groups: dict[tuple, Group] = {}
    for item in items:
        req = ready.get(item.request_id)
        if req is not None:
            key = (req.type, req.current_step, req.current_org_id)
            if key not in groups:
                groups[key] = Group(req.type_label, workflow_of(req).step(req.current_step), req.current_org)
    if len(groups) > 1:
        names = "、".join(f"「{g.label}」" for g in groups.values())
        raise BatchRefused(f"批量同意只能用于同一类申请的同一审批环节，所选申请分别处于{names}。"
                           "请按类别和环节分别选择。")
    group = next(iter(groups.values()), None)
    if group is not None and group.step.batch_refusal:
        raise BatchRefused(group.step.batch_refusal + "，请逐个打开办理")
    return Plan(items, group, ready)


def check_meeting(group: Group | None, meeting: MeetingRecord | None) -> None:
    """At a step that records a meeting, one record serves the batch and its vote must carry: 同意
    is refused for all of them up-front (the engine checks each one again)."""
    if group is None or not group.step.records_meeting:
        return
    if meeting is None:
        raise BatchRefused(f"请填写{group.step.label}的会议记录（会议类型、日期和表决情况）", field="meeting")
    disagreement = meeting.disagreement(Action.APPROVE)
    if disagreement:
        raise BatchRefused(disagreement, field="votes")


@dataclass
class Outcome:
    """One request's result. `number` and `title` only for a request the user may see."""

    request_id: int
    ok: bool
    message: str
    number: str | None = None
    title: str | None = None


@dataclass
class BatchResult:
    group: Group | None
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def succeeded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.ok]

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def approve_all(user: User, items: list[Selected], *, opinion: str = "",
                meeting: MeetingRecord | None = None) -> BatchResult:
    """Approve each selected request on its own; raise BatchRefused when the batch cannot be sent."""
    opinion = (opinion or "").strip()
    if len(opinion) > 1000:
        raise BatchRefused("意见不能超过1000字", field="opinion")
    p = plan(user, items)
    check_meeting(p.group, meeting)
    group_label = p.group.label if p.group else None  # read before the commits expire it
    result = BatchResult(p.group)
    for item in items:
        result.outcomes.append(_approve_one(user, item, p.ready.get(item.request_id), opinion, meeting))
    audit.record("request.batch_approve", user=user, group=group_label, opinion=opinion,
                 meeting=_meeting_detail(meeting),
                 succeeded=[o.number for o in result.succeeded],
                 failed=[{"request_id": o.request_id, "number": o.number, "reason": o.message}
                         for o in result.failed])
    db.session.commit()
    return result


def _approve_one(user: User, item: Selected, req: Request | None, opinion: str,
                 meeting: MeetingRecord | None) -> Outcome:
    if req is None:
        return _not_in_todo(user, item)
    number, title = req.number, req.title
    try:
        apply_action(req, user, Action.APPROVE, opinion=opinion, meeting=meeting,
                     seen_version=item.seen_version)
    except WorkflowError as exc:
        db.session.rollback()
        message = exc.message
        if isinstance(exc, AlreadyHandled):
            message = f"已被处理，{where_now(db.session.get(Request, item.request_id))}"
        return Outcome(item.request_id, False, message, number, title)
    req = db.session.get(Request, item.request_id)
    return Outcome(item.request_id, True, f"已同意，{where_now(req)}", number, title)


def _not_in_todo(user: User, item: Selected) -> Outcome:
    """Never acted on. A request the user may not see stays unnamed (no existence leak)."""
    from ..scope import visible_requests

    req = db.session.scalar(select(Request).where(Request.id == item.request_id, visible_requests(user)))
    if req is None:
        return Outcome(item.request_id, False, "不在您的待办中，未处理")
    if req.version != item.seen_version:
        message = f"已被处理，{where_now(req)}"
    else:
        message = refusal(req, user, Action.APPROVE) or "不在您的待办中，未处理"
    return Outcome(item.request_id, False, message, req.number, req.title)


def _meeting_detail(meeting: MeetingRecord | None) -> dict | None:
    if meeting is None:
        return None
    return {"type": meeting.type_label, "date": meeting.date.isoformat(), "votes_for": meeting.votes_for,
            "votes_against": meeting.votes_against, "votes_abstain": meeting.votes_abstain}
