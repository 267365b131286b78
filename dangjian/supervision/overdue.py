"""超期统计 (§五3 督促检查, issue 8 §8): for each unit and step, how many steps were handled, how
many of them late (超期办结), how many wait past their limit now (当前超期), and by how much.

A step visit runs from the moment a request reached a step to the decision taken there (同意, 不同意
or 退回修改), read from the timeline: a request reaches a step by 提交, 同意, 退回 or 取回, so a
visit starts at the latest of those before its decision. A visit still open is the request's
current step (since `step_entered_at`). The unit is the organization that holds the step.

Deadlines are counted on today's school calendar and today's time limits: a limit changed later
changes how earlier visits count (the page says so).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from .. import workdays
from ..extensions import db
from ..models import Organization, Request, RequestState, TimelineEntry
from ..request_filters import _utc, type_labels
from ..timeutil import local_today, to_local
from ..workflow import Action
from ..workflow.deadlines import deadline, limit_for, load_limits, step_catalog

# Actions that put a request at a step, and the decisions that end a visit there.
ARRIVALS = {Action.SUBMIT.value, Action.APPROVE.value, Action.RETURN.value, Action.TAKE_BACK.value}
DECISIONS = {Action.APPROVE.value, Action.REJECT.value, Action.RETURN.value}
MAX_ITEMS = 500  # shown on the page; the export lists them all


@dataclass
class Filters:
    date_from: date | None = None  # the day a step was reached (local), inclusive
    date_to: date | None = None
    type: str = ""
    org: int | None = None  # the step's holder lies in this organization's subtree

    def query_args(self) -> dict:
        out = {"from": self.date_from.isoformat() if self.date_from else None,
               "to": self.date_to.isoformat() if self.date_to else None, "type": self.type, "org": self.org}
        return {k: v for k, v in out.items() if v}

    def as_detail(self) -> dict:
        return {k: str(v) for k, v in self.query_args().items()}

    def describe(self) -> list[tuple[str, str]]:
        rows = []
        if self.type:
            rows.append(("申请类型", type_labels().get(self.type, self.type)))
        if self.org:
            org = db.session.get(Organization, self.org)
            rows.append(("单位", org.name if org else str(self.org)))
        if self.date_from or self.date_to:
            rows.append(("到达环节日期", f"{self.date_from or '不限'} 至 {self.date_to or '不限'}"))
        return rows or [("筛选条件", "全部")]


@dataclass
class Visit:
    request_id: int
    number: str
    type: str
    step: str
    org_id: int
    entered_at: datetime
    left_at: datetime | None  # None: still waiting


@dataclass
class Row:
    org_id: int
    org_name: str
    org_path: str
    type: str
    type_label: str
    step: str
    step_label: str
    step_order: int
    limit: int
    handled: int = 0
    handled_late: int = 0
    waiting: int = 0
    overdue: int = 0
    delays: list = field(default_factory=list)  # working days late, of the late handled and the overdue

    @property
    def late(self) -> int:
        return self.handled_late + self.overdue

    @property
    def average_delay(self) -> float | None:
        return round(sum(self.delays) / len(self.delays), 1) if self.delays else None

    @property
    def longest_delay(self) -> int | None:
        return max(self.delays) if self.delays else None


@dataclass
class Item:
    """A step waiting past its limit now (当前超期), for the list under the table."""

    request_id: int
    number: str
    type_label: str
    step_label: str
    org_name: str
    entered_on: date
    due_on: date
    overdue_days: int


@dataclass
class Report:
    rows: list[Row]
    items: list[Item]
    today: date

    @property
    def totals(self) -> dict:
        delays = [d for r in self.rows for d in r.delays]
        return {"handled": sum(r.handled for r in self.rows), "handled_late": sum(r.handled_late for r in self.rows),
                "waiting": sum(r.waiting for r in self.rows), "overdue": sum(r.overdue for r in self.rows),
                "average_delay": round(sum(delays) / len(delays), 1) if delays else None,
                "longest_delay": max(delays) if delays else None}


def _visits(f: Filters) -> list[Visit]:
    stmt = (select(TimelineEntry.request_id, TimelineEntry.action, TimelineEntry.step, TimelineEntry.actor_org_id,
                   TimelineEntry.actor_role, TimelineEntry.created_at, Request.type, Request.number)
            .join(Request, Request.id == TimelineEntry.request_id)
            .order_by(TimelineEntry.request_id, TimelineEntry.id))
    if f.type:
        stmt = stmt.where(Request.type == f.type)
    visits = []
    current, arrived = None, None
    for e in db.session.execute(stmt):
        if e.request_id != current:
            current, arrived = e.request_id, None
        if e.action in DECISIONS and e.step and e.actor_role not in ("applicant", "system") \
                and arrived is not None and e.actor_org_id is not None:
            visits.append(Visit(e.request_id, e.number, e.type, e.step, e.actor_org_id, arrived, e.created_at))
        if e.action in ARRIVALS:
            arrived = e.created_at
    pending = select(Request.id, Request.number, Request.type, Request.current_step, Request.current_org_id,
                     Request.step_entered_at).where(
        Request.state == RequestState.PENDING, Request.current_step.is_not(None),
        Request.current_org_id.is_not(None), Request.step_entered_at.is_not(None))
    if f.type:
        pending = pending.where(Request.type == f.type)
    visits += [Visit(r.id, r.number, r.type, r.current_step, r.current_org_id, r.step_entered_at, None)
               for r in db.session.execute(pending)]
    if f.date_from:
        visits = [v for v in visits if v.entered_at >= _utc(f.date_from)]
    if f.date_to:
        start_of_next = _utc(date.fromordinal(f.date_to.toordinal() + 1))
        visits = [v for v in visits if v.entered_at < start_of_next]
    if f.org:
        under = select(Organization.path).where(Organization.id == f.org).scalar_subquery()
        inside = set(db.session.scalars(select(Organization.id).where(Organization.path.startswith(under))))
        visits = [v for v in visits if v.org_id in inside]
    return visits


def build(f: Filters, today: date | None = None) -> Report:
    today = today or local_today()
    visits = _visits(f)
    if not visits:
        return Report([], [], today)
    first = min(to_local(v.entered_at).date() for v in visits)
    cal = workdays.load(min(first, today))
    limits = load_limits()
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(
        Organization.id.in_({v.org_id for v in visits})))}
    catalog = {key: (label, {s.key: (i, s.label) for i, s in enumerate(steps)}) for key, label, steps in step_catalog()}
    rows: dict[tuple, Row] = {}
    items = []
    for v in visits:
        type_label, steps = catalog.get(v.type, (v.type, {}))
        order, step_label = steps.get(v.step, (99, v.step))
        org = orgs[v.org_id]
        limit = limit_for(limits, v.type, v.step)
        key = (v.org_id, v.type, v.step)
        row = rows.get(key)
        if row is None:
            row = rows[key] = Row(v.org_id, org.name, org.path, v.type, type_label, v.step, step_label, order, limit)
        entered = to_local(v.entered_at).date()
        if v.left_at is None:
            d = deadline(cal, limit, entered, today)
            row.waiting += 1
            if d.overdue_days >= 1:
                row.overdue += 1
                row.delays.append(d.overdue_days)
                items.append(Item(v.request_id, v.number, type_label, step_label, org.name, entered, d.due_on,
                                  d.overdue_days))
        else:
            d = deadline(cal, limit, entered, to_local(v.left_at).date())
            row.handled += 1
            if d.overdue_days >= 1:
                row.handled_late += 1
                row.delays.append(d.overdue_days)
    ordered = sorted(rows.values(), key=lambda r: (r.org_path, r.type, r.step_order))
    items.sort(key=lambda i: (-i.overdue_days, i.entered_on, i.number))
    return Report(ordered, items, today)
