"""经费使用: what was paid for 党内激励关怀帮扶 in a year, for an organization's subtree, by line and by
source: 校级经费 (the school's budget lines, §四 first paragraph) and 本单位经费 (a 二级党组织's own
funds, §四 second paragraph: unit_funds.py). One computation for everyone who shows these figures —
党务公开's 党费收缴和使用情况 (openness/dues.py) and 纪委's 监督统计 (supervision/dashboard.py) — so the
two always agree for the same scope and year.

Counted in the year the money was paid:
- 慰问金: a completed 慰问金's paid amount, by its 走访日期 (the day it was handed over); school-funded
  → 校级经费, unit-funded → 本单位经费;
- 兼职支部书记补贴 and 表彰奖励 paid by the school: the 发放登记 (Payment), by its 发放日期;
- a 二级党组织's own ledger: its expense entries (voided ones left out) by 发生日期, on their line or
  其他 — except the entries a 慰问金 posted by itself, which are that 慰问金 (counted once, above).

Each amount belongs to an organization (the request's, or the unit keeping the ledger), so callers
can split it by unit. Totals and counts only: no member, no hardship.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import extract, func, select

from .extensions import db
from .models import Organization, Payment, Request, RequestState, UnitFundEntry, UnitFundKind

ZERO = Decimal("0.00")
SCHOOL, UNIT = "school", "unit"
# How a reader names the two sources. 「本单位经费」 (the 慰问金 form's word) means the school itself to a
# reader of the whole school: the figures say whose funds they are.
SOURCES = {SCHOOL: "校级经费", UNIT: "二级党组织自有经费"}
REQUEST, LEDGER = "request", "ledger"  # paid through a request, or entered in a unit's ledger
# The lines, in the budget's order, and 其他 for a unit's other expenses.
LINES = {"condolence": "慰问金", "allowance": "兼职支部书记补贴", "award": "表彰奖励", "other": "其他"}
_PAID_TYPES = {"secretary_allowance": "allowance", "award_nomination": "award"}


def _yuan(value) -> Decimal:
    """A sum of a Money column: Decimal yuan when the type carried through, else integer fen."""
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class Paid:
    """One group of payments: organization, year, line, source, how (request or ledger), count, amount."""
    org_id: int
    year: int
    line: str
    source: str
    via: str
    count: int
    amount: Decimal


def paid_rows(org: Organization, years) -> list[Paid]:
    """Every group of payments in `org`'s subtree in `years`."""
    from .request_types.condolence.model import CondolencePayment, FundingSource

    years = list(years)
    subtree = select(Organization.id).where(Organization.path.startswith(org.path))
    out: list[Paid] = []
    visit_year = extract("year", CondolencePayment.visit_date)
    for org_id, year, source, n, amount in db.session.execute(
            select(CondolencePayment.organization_id, visit_year, CondolencePayment.funding_source,
                   func.count(CondolencePayment.id), func.sum(CondolencePayment.paid_amount))
            .where(CondolencePayment.state == RequestState.COMPLETED, visit_year.in_(years),
                   CondolencePayment.organization_id.in_(subtree))
            .group_by(CondolencePayment.organization_id, visit_year, CondolencePayment.funding_source)):
        out.append(Paid(org_id, int(year), "condolence", SCHOOL if source is FundingSource.SCHOOL else UNIT, REQUEST,
                        n, _yuan(amount)))
    paid_year = extract("year", Payment.paid_on)
    for org_id, year, type_name, n, amount in db.session.execute(
            select(Request.organization_id, paid_year, Request.type, func.count(Payment.id), func.sum(Payment.amount))
            .join(Request, Request.id == Payment.request_id)
            .where(Request.type.in_(list(_PAID_TYPES)), paid_year.in_(years), Request.organization_id.in_(subtree))
            .group_by(Request.organization_id, paid_year, Request.type)):
        out.append(Paid(org_id, int(year), _PAID_TYPES[type_name], SCHOOL, REQUEST, n, _yuan(amount)))
    for org_id, year, line_kind, n, amount in db.session.execute(
            select(UnitFundEntry.organization_id, UnitFundEntry.year, UnitFundEntry.line_kind,
                   func.count(UnitFundEntry.id), func.sum(UnitFundEntry.amount))
            .where(UnitFundEntry.kind == UnitFundKind.EXPENSE, UnitFundEntry.voided_at.is_(None),
                   UnitFundEntry.request_id.is_(None), UnitFundEntry.year.in_(years),
                   UnitFundEntry.organization_id.in_(subtree))
            .group_by(UnitFundEntry.organization_id, UnitFundEntry.year, UnitFundEntry.line_kind)):
        out.append(Paid(org_id, int(year), line_kind.value if line_kind else "other", UNIT, LEDGER, n, _yuan(amount)))
    return out


@dataclass
class LineRow:
    """One line: what the school's funds and the units' own funds paid on it."""
    key: str
    label: str
    school: Decimal = ZERO
    unit: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return self.school + self.unit


@dataclass
class Spending:
    lines: list[LineRow] = field(default_factory=list)

    @property
    def school(self) -> Decimal:
        return sum((row.school for row in self.lines), ZERO)

    @property
    def unit(self) -> Decimal:
        return sum((row.unit for row in self.lines), ZERO)

    @property
    def total(self) -> Decimal:
        return self.school + self.unit


def summarize(rows) -> Spending:
    """The rows by line, school and unit side by side (every line, zero or not, in LINES' order)."""
    lines = {key: LineRow(key, label) for key, label in LINES.items()}
    for r in rows:
        row = lines[r.line]
        if r.source == SCHOOL:
            row.school += r.amount
        else:
            row.unit += r.amount
    return Spending(list(lines.values()))


def paid(org: Organization, year: int) -> Spending:
    return summarize(paid_rows(org, [year]))
