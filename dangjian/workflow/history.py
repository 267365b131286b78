"""Reading a request's timeline: the decisive entry per step, for the request page and the 审批表."""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Request, Role, TimelineEntry
from .definition import MEETING_TYPES, NOT_HANDLING, STUCK, Action, Step

DECISIVE = {Action.APPROVE.value, Action.REJECT.value}


@dataclass
class StepOutcome:
    step: Step
    entry: TimelineEntry | None  # the approve/reject that closed the step in the current round

    @property
    def action_label(self) -> str | None:
        return Action(self.entry.action).label if self.entry else None


def current_round(req: Request) -> list[TimelineEntry]:
    """Entries since the last submit: earlier rounds ended in a return or a withdrawal."""
    entries = list(req.timeline)
    last_submit = max((i for i, e in enumerate(entries) if e.action == Action.SUBMIT.value), default=0)
    return entries[last_submit:]


def step_outcomes(req: Request) -> list[StepOutcome]:
    """The decision in effect for each step: the current round replayed in order.

    A return to an earlier step (退回至 …) sends the request back through the steps from that
    target up to the returning step, so the decisions taken there before the return no longer
    count: those steps decide again. The target is not stored on the entry; it is the step of
    the next entry in the round, or where the request waits now. A 取回 undoes its step's 同意;
    comments (评论) decide nothing and are left out.
    """
    steps = type(req).workflow.applicable_steps(req)
    keys = [s.key for s in steps]
    entries = [e for e in current_round(req) if e.action not in NOT_HANDLING]
    decided: dict[str, TimelineEntry] = {}
    for i, e in enumerate(entries):
        if e.step not in keys:
            continue
        if e.action in DECISIVE:
            decided[e.step] = e
        elif e.action == Action.TAKE_BACK.value:
            decided.pop(e.step, None)
        elif e.action == Action.RETURN.value:
            later = next((n.step for n in entries[i + 1:] if n.step in keys), None)
            target = later or (req.current_step if req.current_step in keys else None)
            if target is not None and keys.index(target) < keys.index(e.step):
                for key in keys[keys.index(target):keys.index(e.step)]:
                    decided.pop(key, None)
    return [StepOutcome(step, decided.get(step.key)) for step in steps]


TIMELINE_ACTION_LABELS = {Action.SUBMIT.value: "提交申请", Action.WITHDRAW.value: "撤回申请",
                          Action.TAKE_BACK.value: "取回决定", Action.COMMENT.value: "发表评论",
                          Action.URGE.value: "催办", STUCK: "本环节暂无可处理人"}


def actor_name(entry: TimelineEntry) -> str:
    """Who acted, as the timeline and the 审批表 print it: 「张三（代李四处理）」 for a deputy (委托代理)."""
    if entry.actor is None:
        return "系统"
    if entry.on_behalf_of is not None:
        return f"{entry.actor.display_name}（代{entry.on_behalf_of.display_name}处理）"
    return entry.actor.display_name


def where_now(req: Request) -> str:
    """「现为「审批中」，当前环节：二级党组织意见（会计学院党委）」: where a request stands, for
    someone whose action came too late."""
    now = f"现为「{req.state.label}」"
    if req.current_step:
        now += f"，当前环节：{req.current_step_label}"
        if req.current_org:
            now += f"（{req.current_org.name}）"
    return now


def action_label(value: str) -> str:
    """The timeline's word for an action ("提交申请", "同意", "核定调整" …)."""
    if value in TIMELINE_ACTION_LABELS:
        return TIMELINE_ACTION_LABELS[value]
    try:
        return Action(value).label
    except ValueError:
        return value


def actor_role_label(value: str) -> str:
    if value == "applicant":
        return "发起人"
    if value == "system":
        return "系统"
    if value == "beneficiary":
        return "当事人"
    try:
        return Role(value).label
    except ValueError:
        return value


def role_label(entry: TimelineEntry) -> str:
    return actor_role_label(entry.actor_role)


def meeting_type_label(value: str | None) -> str:
    return MEETING_TYPES.get(value, value) if value else ""


def meeting_label(entry: TimelineEntry) -> str:
    return meeting_type_label(entry.meeting_type)


def opinion_boxes(req: Request) -> list[dict]:
    """One box per applicable step for a 审批表: the opinion in effect, signer, local date and the
    meeting it cites (empty for a step not reached). Shared by every request type's PDF."""
    from ..timeutil import to_local

    boxes = []
    for outcome in step_outcomes(req):
        e = outcome.entry
        boxes.append({
            "key": outcome.step.key,
            "label": outcome.step.opinion_label,
            "opinion": e.opinion if e else "",
            "signer": (actor_name(e) if e.on_behalf_of else f"{e.actor.display_name}（{role_label(e)}）")
            if e and e.actor else "",
            "date": to_local(e.created_at).date() if e else None,
            "action_label": outcome.action_label,
            "detail": e.detail if e else "",
            "meeting": {
                "type_label": meeting_label(e), "date": e.meeting_date, "votes_for": e.votes_for,
                "votes_against": e.votes_against, "votes_abstain": e.votes_abstain,
            } if e and e.meeting_type else None,
        })
    return boxes


def submission_box(req: Request, label: str, opinion: str, role: str) -> dict:
    """The box of the level that submitted the request (党支部申报, 申报单位…), shaped like an
    :func:`opinion_boxes` box: submitting is its 同意, signed by the initiator on the day of the
    current round's submission. Empty (to sign by hand) while the request is not submitted."""
    from ..timeutil import to_local

    submit = next((e for e in current_round(req) if e.action == Action.SUBMIT.value), None)
    return {
        "key": "submission", "label": label,
        "opinion": opinion if submit else "",
        "signer": f"{req.initiator.display_name}（{role}）" if submit else "",
        "date": to_local(submit.created_at).date() if submit else None,
        "action_label": "同意" if submit else None,
        "detail": "", "meeting": None,
    }
