"""Step deadlines (issue 8 §8): each step of each request type has a time limit in working days
(组织部 sets it, default 5). A pending request is due `limit` working days after the day it
reached its current step; after that day it is overdue (已超期 N 个工作日).

`statuses(requests)` computes every row of a page with two queries (the limits and the school
calendar from the earliest arrival on), whatever the number of rows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from .. import workdays
from ..extensions import db
from ..models import Request, RequestState, StepTimeLimit
from ..timeutil import local_today, to_local

MIN_LIMIT, MAX_LIMIT = 1, 60


def step_catalog() -> list[tuple[str, str, list]]:
    """[(type key, type label, [Step …])] for every request type, in registration order."""
    out = []
    for key, mapper in Request.__mapper__.polymorphic_map.items():
        cls = mapper.class_
        wf = getattr(cls, "workflow", None)
        if key == "request" or wf is None:
            continue
        out.append((key, cls.type_label, list(wf.steps)))
    return out


def step_label(request_type: str, step: str) -> str:
    for key, _, steps in step_catalog():
        if key == request_type:
            return next((s.label for s in steps if s.key == step), step)
    return step


def type_label(request_type: str) -> str:
    return next((label for key, label, _ in step_catalog() if key == request_type), request_type)


def load_limits() -> dict[tuple[str, str], int]:
    """{(request type, step): working days} as 组织部 set them (missing: the default)."""
    rows = db.session.execute(select(StepTimeLimit.request_type, StepTimeLimit.step, StepTimeLimit.working_days))
    return {(t, s): n for t, s, n in rows}


def limit_for(limits: dict, request_type: str, step: str) -> int:
    return limits.get((request_type, step), workdays.DEFAULT_LIMIT)


@dataclass(frozen=True)
class Deadline:
    """Where a pending step stands against its time limit on `today`."""

    entered_on: date  # the local day the request reached the step
    limit: int  # working days
    due_on: date  # the last day of the limit
    today: date
    overdue_days: int  # working days past due_on, up to and including today (0 when not overdue)

    @property
    def overdue(self) -> bool:
        return self.today > self.due_on

    @property
    def due_today(self) -> bool:
        return self.today == self.due_on

    @property
    def badge(self) -> str | None:
        """The inbox badge: 「已超期 N 个工作日」, 「已超期」 (a day off right after the due day) or
        「今日到期」; None while there is time."""
        if self.overdue:
            return f"已超期 {self.overdue_days} 个工作日" if self.overdue_days else "已超期"
        if self.due_today:
            return "今日到期"
        return None


def deadline(cal: workdays.WorkCalendar, limit: int, entered_on: date, today: date) -> Deadline:
    due = cal.add_working_days(entered_on, limit)
    late = max(cal.working_days_between(due, today), 0)
    return Deadline(entered_on, limit, due, today, late)


def statuses(requests, today: date | None = None) -> dict[int, Deadline]:
    """{request id: Deadline} for the pending requests among `requests` (others are left out)."""
    pending = [r for r in requests if r.state is RequestState.PENDING and r.current_step and r.step_entered_at]
    if not pending:
        return {}
    today = today or local_today()
    entered = {r.id: to_local(r.step_entered_at).date() for r in pending}
    cal = workdays.load(min(min(entered.values()), today))
    limits = load_limits()
    return {r.id: deadline(cal, limit_for(limits, r.type, r.current_step), entered[r.id], today) for r in pending}
