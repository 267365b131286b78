"""监督统计 (§五3 强化监督, issue 10 §9): one organization (and its subtree) and one year, for 纪委.

- Requests by type and state: the requests submitted in the year (drafts never submitted: the day
  they were created), counted through the viewer's scope and `request_filters.apply`, the same
  conditions the 申请查询 drill-down uses, so a figure and its list always agree.
- Money (§四), per line, the school's funds and the units' own funds side by side, and their total:
  what was paid in the year (spending.py — the very figures of 党务公开's 党费收缴和使用情况, so the two
  agree for the same scope and year); beside it what the school's budget still holds reserved for
  requests of the subtree (the budget ledger, that budget year's lines).
- Steps: the 超期统计 (overdue.build) for the steps reached in the year, held in the subtree.
- Bars by unit (the organization's direct units) and a five-year line.
- Whatever the modules add through `plugins.supervision_figures` (overdue reviews, 整改任务 …).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from .. import plugins, spending
from ..extensions import db
from ..models import BudgetEntry, BudgetLine, BudgetLineKind, Organization, OrgKind, Request, RequestState
from ..request_filters import RequestFilters, apply, type_labels
from ..scope import visible_requests
from ..timeutil import local_today
from . import overdue

YEARS_BACK = 5  # the year-on-year line: the chosen year and the four before it
UNIT_KINDS = (OrgKind.SECONDARY, OrgKind.BRANCH)
ZERO = Decimal("0.00")


def _yuan(value) -> Decimal:
    """A sum of a Money column: Decimal yuan when the type carried through, else integer fen."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def year_filters(org: Organization, year: int) -> RequestFilters:
    """The 申请查询 filters for one organization's subtree and one year (the drill-down's too)."""
    return RequestFilters(org=org.id, date_from=date(year, 1, 1), date_to=date(year, 12, 31))


@dataclass
class TypeRow:
    key: str
    label: str
    counts: dict = field(default_factory=dict)  # RequestState → count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class UnitRow:
    org: Organization
    label: str
    requests: int = 0
    school: Decimal = ZERO  # paid from the school's funds
    unit: Decimal = ZERO  # paid from the units' own funds
    overdue: int = 0  # steps waiting past their limit now

    @property
    def spent(self) -> Decimal:
        return self.school + self.unit


@dataclass
class YearRow:
    year: int
    counts: dict = field(default_factory=dict)  # type key → count
    school: Decimal = ZERO
    unit: Decimal = ZERO

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def spent(self) -> Decimal:
        return self.school + self.unit


@dataclass
class Dashboard:
    org: Organization
    year: int
    today: date
    types: list[TypeRow]
    states: list[RequestState]  # the columns: states that occur
    money: spending.Spending  # paid in the year, per line: school and unit funds
    reserved: dict  # line key → still reserved on the school's budget for requests of the subtree
    budget: list  # BudgetLine of the year, for the whole school only
    steps: overdue.Report
    units: list[UnitRow]
    years: list[YearRow]
    figures: list[dict]

    @property
    def state_totals(self) -> dict:
        return {s: sum(t.counts.get(s, 0) for t in self.types) for s in self.states}

    @property
    def total(self) -> int:
        return sum(t.total for t in self.types)

    @property
    def reserved_total(self) -> Decimal:
        return sum(self.reserved.values(), ZERO)

    @property
    def is_school(self) -> bool:
        return self.org.parent_id is None

    @property
    def alerts(self) -> int:
        return sum(1 for f in self.figures if f.get("alert")) + (1 if self.steps.totals["overdue"] else 0)


def _subtree(org: Organization):
    return select(Organization.id).where(Organization.path.startswith(org.path))


def _counts(viewer, org, year, group):
    stmt = apply(select(*group, func.count(Request.id)).where(visible_requests(viewer)), year_filters(org, year))
    return db.session.execute(stmt.group_by(*group)).all()


def _ledger(viewer, org, years, group):
    """(group…, ledger kind, sum) of the ledger entries of requests in `org`'s subtree, on the
    lines of `years`."""
    stmt = (select(*group, BudgetEntry.kind, func.sum(BudgetEntry.amount))
            .join(Request, Request.id == BudgetEntry.request_id)
            .join(BudgetLine, BudgetLine.id == BudgetEntry.line_id)
            .where(BudgetLine.year.in_(years), Request.organization_id.in_(_subtree(org)), visible_requests(viewer))
            .group_by(*group, BudgetEntry.kind))
    return db.session.execute(stmt).all()


SIGN = {"reserve": 1, "release": -1, "spend": -1}


def _money(rows) -> dict:
    """{group key: [spent, still reserved]} from (key, kind, sum) rows."""
    out: dict = defaultdict(lambda: [ZERO, ZERO])
    for key, kind, amount in rows:
        amount = _yuan(amount)
        if kind == "spend":
            out[key][0] += amount
        out[key][1] += SIGN.get(kind, 0) * amount
    return out


def units_of(org: Organization) -> list[Organization]:
    """The units the bars compare: the organization's direct 二级党组织 and 党支部."""
    return [c for c in org.children if c.kind in UNIT_KINDS]


def _bucket(units: list[Organization], org: Organization):
    """A function: an organization path → the unit row it belongs to (or the organization itself)."""
    def find(path: str):
        for u in units:
            if path.startswith(u.path):
                return u.id
        return org.id
    return find


def build(org: Organization, year: int, viewer, today: date | None = None) -> Dashboard:
    today = today or local_today()
    labels = type_labels()
    types = {key: TypeRow(key, label) for key, label in labels.items()}
    for key, state, n in _counts(viewer, org, year, (Request.type, Request.state)):
        types.setdefault(key, TypeRow(key, labels.get(key, key))).counts[state] = n
    reserved = {kind.value: ZERO for kind in BudgetLineKind}  # the school's lines (其他 is a unit's only)
    reserved.update({kind.value: held for kind, (_, held) in _money(_ledger(viewer, org, [year], (BudgetLine.kind,))).items()})
    first = year - YEARS_BACK + 1
    paid = spending.paid_rows(org, range(first, year + 1))
    present = {s for t in types.values() for s in t.counts}
    states = [s for s in RequestState if s in present]

    steps = overdue.build(overdue.Filters(date_from=date(year, 1, 1), date_to=date(year, 12, 31), org=org.id), today)

    units = units_of(org)
    find = _bucket(units, org)
    rows = {u.id: UnitRow(u, u.name) for u in units}
    own = UnitRow(org, f"{org.name}（本级）")
    counts = _counts(viewer, org, year, (Request.organization_id,))
    this_year = [p for p in paid if p.year == year]
    ids = {oid for oid, _ in counts} | {p.org_id for p in this_year}
    paths = dict(db.session.execute(select(Organization.id, Organization.path).where(
        Organization.id.in_(ids))).all()) if ids else {}
    for oid, n in counts:
        rows.get(find(paths[oid]), own).requests += n
    for p in this_year:
        row = rows.get(find(paths[p.org_id]), own)
        if p.source == spending.SCHOOL:
            row.school += p.amount
        else:
            row.unit += p.amount
    for r in steps.rows:
        rows.get(find(r.org_path), own).overdue += r.overdue
    unit_rows = list(rows.values())
    if units and (own.requests or own.spent or own.overdue):
        unit_rows.append(own)

    years = {y: YearRow(y) for y in range(first, year + 1)}
    for y in years:
        for key, n in _counts(viewer, org, y, (Request.type,)):
            years[y].counts[key] = n
    for p in paid:
        if p.source == spending.SCHOOL:
            years[p.year].school += p.amount
        else:
            years[p.year].unit += p.amount

    budget = []
    if org.parent_id is None:
        budget = list(db.session.scalars(select(BudgetLine).where(BudgetLine.year == year).order_by(BudgetLine.id)))
    return Dashboard(org=org, year=year, today=today, types=[t for t in types.values()], states=states,
                     money=spending.summarize(this_year), reserved=reserved, budget=budget, steps=steps, units=unit_rows, years=list(years.values()),
                     figures=plugins.supervision_figures(org, year, viewer))

