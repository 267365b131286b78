"""Reading a request's timeline: the decisive entry per step, for the request page and the 审批表."""
from __future__ import annotations

from dataclasses import dataclass

from ..models import Request, Role, TimelineEntry
from .definition import MEETING_TYPES, Action, Step

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
    workflow = type(req).workflow
    entries = current_round(req)
    outcomes = []
    for step in workflow.applicable_steps(req):
        decisive = [e for e in entries if e.step == step.key and e.action in DECISIVE]
        outcomes.append(StepOutcome(step, decisive[-1] if decisive else None))
    return outcomes


def role_label(entry: TimelineEntry) -> str:
    if entry.actor_role == "applicant":
        return "发起人"
    return Role(entry.actor_role).label


def meeting_label(entry: TimelineEntry) -> str:
    if not entry.meeting_type:
        return ""
    return MEETING_TYPES.get(entry.meeting_type, entry.meeting_type)
