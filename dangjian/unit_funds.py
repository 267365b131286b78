"""二级党组织自有经费 (§四 second paragraph): "二级单位党组织开展党内激励关怀帮扶工作…在相应经费项目中
列支". A secondary unit keeps the ledger of its own funds (UnitFundEntry): income and expenses per
line; the school budget does not cap them, and the budget page shows them beside the school's.

Entries are appended, never edited: a wrong one is voided with a reason (a conditional UPDATE, so
two clicks void it once). A unit-funded 慰问金 posts its expense here by itself when its payment is
recorded (`post_request_expense`, called inside that transition).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, update

from . import audit
from .extensions import db
from .models import BudgetLineKind, Organization, OrgKind, Role, UnitFundEntry, UnitFundKind
from .models.base import utcnow
from .money import format_yuan
from .timeutil import local_today
from .workflow.errors import ActionRefused

MAX_SUMMARY = 200
MAX_VOUCHER = 50
MAX_REASON = 200


class LedgerRefused(ActionRefused):
    """A refusal with its field; an ActionRefused, so a transition posting an entry rolls back with it."""


def keeps_ledger(org: Organization | None) -> bool:
    return org is not None and org.kind is OrgKind.SECONDARY


def may_record(user, org: Organization) -> bool:
    """The unit itself (书记/组织员) records its ledger; 组织部 and 纪委 read it."""
    return user.holds(Role.SECONDARY, org.id)


def may_read(user, org: Organization) -> bool:
    return may_record(user, org) or user.holds(Role.ORG_DEPT) or user.holds(Role.SUPERVISOR)


def check(amount: Decimal | None, occurred_on: date | None, summary: str, voucher_no: str) -> list[tuple[str, str]]:
    """Every problem of an entry's fields, as (field, message)."""
    problems = []
    if amount is None or amount <= 0:
        problems.append(("amount", "金额必须大于0"))
    if occurred_on is None:
        problems.append(("occurred_on", "请填写发生日期"))
    elif occurred_on > local_today():
        problems.append(("occurred_on", "发生日期不能晚于今天"))
    if not summary:
        problems.append(("summary", "请填写摘要"))
    elif len(summary) > MAX_SUMMARY:
        problems.append(("summary", f"摘要不能超过{MAX_SUMMARY}字"))
    if len(voucher_no) > MAX_VOUCHER:
        problems.append(("voucher_no", f"凭证号不能超过{MAX_VOUCHER}字"))
    return problems


def add_entry(org: Organization, user, *, kind: UnitFundKind, line_kind: BudgetLineKind | None, amount: Decimal,
              occurred_on: date | None, summary: str, voucher_no: str = "", request_id: int | None = None,
              commit: bool = True) -> UnitFundEntry:
    """Append one entry (raises LedgerRefused with the field). `user` None: posted by the system."""
    if not keeps_ledger(org):
        raise LedgerRefused("只有二级党组织登记自有经费")
    if user is not None and request_id is None and not may_record(user, org):
        raise LedgerRefused("只有本单位党组织书记或组织员可以登记本单位自有经费")
    summary, voucher_no = (summary or "").strip(), (voucher_no or "").strip()
    problems = check(amount, occurred_on, summary, voucher_no)
    if problems:
        raise LedgerRefused(problems[0][1], problems[0][0])
    entry = UnitFundEntry(organization_id=org.id, year=occurred_on.year, kind=kind, line_kind=line_kind,
                          amount=amount, occurred_on=occurred_on, summary=summary, voucher_no=voucher_no,
                          request_id=request_id, recorded_by_id=getattr(user, "id", None))
    db.session.add(entry)
    db.session.flush()
    audit.record("unit_fund.add", entry, user=user, unit=org.name, kind=kind.value, amount=str(amount),
                 line=line_kind.value if line_kind else "other", request_id=request_id)
    if commit:
        db.session.commit()
    return entry


def void_entry(entry_id: int, user, reason: str) -> UnitFundEntry:
    entry = db.session.get(UnitFundEntry, entry_id)
    if entry is None or not may_record(user, entry.organization):
        raise LedgerRefused("只有本单位党组织书记或组织员可以冲销本单位的经费记录")
    if entry.request_id is not None:
        raise LedgerRefused("该笔支出由慰问金发放登记自动记入，不能在此冲销")
    reason = (reason or "").strip()
    if not reason:
        raise LedgerRefused("请填写冲销原因", "reason")
    if len(reason) > MAX_REASON:
        raise LedgerRefused(f"冲销原因不能超过{MAX_REASON}字", "reason")
    done = db.session.execute(
        update(UnitFundEntry).where(UnitFundEntry.id == entry_id, UnitFundEntry.voided_at.is_(None))
        .values(voided_at=utcnow(), voided_by_id=user.id, void_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if done != 1:
        db.session.rollback()
        raise LedgerRefused("该记录已被他人处理（已冲销）")
    audit.record("unit_fund.void", entry, user=user, reason=reason, amount=str(entry.amount))
    db.session.commit()
    db.session.refresh(entry)
    return entry


def post_request_expense(req, unit: Organization, amount: Decimal, on: date, line_kind: BudgetLineKind, user) -> str:
    """A unit-funded payment (慰问金 from 本单位经费) enters the unit's ledger in its own transaction."""
    add_entry(unit, user, kind=UnitFundKind.EXPENSE, line_kind=line_kind, amount=amount, occurred_on=on,
              summary=f"{req.number} {req.type_label}", request_id=req.id, commit=False)
    return f"已记入{unit.name}自有经费支出 {format_yuan(amount)}"


def totals(year: int, org_ids=None) -> dict[int, dict]:
    """{unit id: {"income", "expense", "balance", by line: {line label: expense}}} for the year
    (voided entries left out)."""
    query = (select(UnitFundEntry.organization_id, UnitFundEntry.kind, UnitFundEntry.line_kind,
                    func.sum(UnitFundEntry.amount))
             .where(UnitFundEntry.year == year, UnitFundEntry.voided_at.is_(None))
             .group_by(UnitFundEntry.organization_id, UnitFundEntry.kind, UnitFundEntry.line_kind))
    if org_ids is not None:
        query = query.where(UnitFundEntry.organization_id.in_(list(org_ids)))
    out: dict[int, dict] = {}
    for org_id, kind, line_kind, total in db.session.execute(query):
        amount = _yuan(total)
        row = out.setdefault(org_id, {"income": Decimal("0.00"), "expense": Decimal("0.00"), "lines": {}})
        row[kind.value] += amount
        if kind is UnitFundKind.EXPENSE:
            label = line_kind.label if line_kind else "其他"
            row["lines"][label] = row["lines"].get(label, Decimal("0.00")) + amount
    for row in out.values():
        row["balance"] = row["income"] - row["expense"]
    return out


def _yuan(total) -> Decimal:
    """SUM over a Money column is typed Money (yuan); a bare integer would be fen."""
    if total is None:
        return Decimal("0.00")
    return total if isinstance(total, Decimal) else (Decimal(int(total)) / 100).quantize(Decimal("0.01"))
