"""党费收缴和使用情况 (§三(二)4 "党费收缴、使用…要通过一定形式进行公开"): the yearly figures for a
scope (the school, or one unit and its subtree), computed from the data:

* 应缴: every member's 月缴党费 for each month of the year they were a member in good standing
  (Member.dues_on: the effective-dated history), up to the current month for the current year;
* 减免: what approved 党费减免 waived in those months (dues_waiver.dues_owed);
* 实缴 (应缴 − 减免);
* 用于关怀帮扶: 慰问金 paid (by funding source), 兼职支部书记补贴 and 表彰奖励 paid (登记发放), and
  what the 二级党组织 paid from their own funds (their ledger) — spending.py, the same figures as
  纪委's 监督统计.

Totals and counts only: no member's name, hardship or amount is in them. A member is counted in
the branch they belong to now (组织关系转接 moves their whole year).
"""
from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import spending
from ..extensions import db
from ..models import Member, MemberStatus, Organization, RequestState
from ..money import format_yuan
from ..request_types.condolence.model import FundingSource
from ..request_types.dues_waiver.model import DuesWaiver, dues_owed
from ..timeutil import local_today

ZERO = Decimal("0.00")


def months_of(year: int, today: date) -> list[date]:
    last = 12 if year < today.year else today.month
    return [date(year, m, 1) for m in range(1, last + 1)]


def _member_in_month(member: Member, month: date) -> bool:
    end = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    if member.joined_party_on > end:
        return False
    if member.status not in (None, MemberStatus.NORMAL) and member.status_on is not None:
        return member.status_on >= month  # counted up to the month the status took effect
    return True


def _subtree(org: Organization):
    return select(Organization.id).where(Organization.path.startswith(org.path))


def _sum(query) -> Decimal:
    total = db.session.scalar(query)
    return total if isinstance(total, Decimal) else ZERO


def figures(org: Organization, year: int, today: date | None = None) -> dict:
    """The figures as plain strings and numbers (stored as JSON with the item, so a published
    item shows what was published, whatever changes later)."""
    today = today or local_today()
    months = months_of(year, today)
    members = db.session.scalars(select(Member).where(Member.branch_id.in_(_subtree(org)))
                                 .options(selectinload(Member.dues_rates))).all()
    waivers: dict[int, list] = {}
    for w in db.session.scalars(select(DuesWaiver).where(
            DuesWaiver.beneficiary_id.in_([m.id for m in members] or [0]),
            DuesWaiver.state == RequestState.APPROVED)):
        waivers.setdefault(w.beneficiary_id, []).append(w)
    due = waived = ZERO
    counted, waived_members = 0, set()
    for m in members:
        active = [mo for mo in months if _member_in_month(m, mo)]
        if active:
            counted += 1
        for mo in active:
            owed_full = m.dues_on(mo)
            owed = dues_owed(m, mo, waivers.get(m.id, []))
            due += owed_full
            if owed < owed_full:
                waived += owed_full - owed
                waived_members.add(m.id)

    care = care_spending(org, year)
    care_total = sum((row["amount"] for row in care), ZERO)
    return {
        "year": year, "scope": org.name, "months": len(months), "members": counted,
        "as_of": today.isoformat(),
        "due": str(due), "waived": str(waived), "collected": str(due - waived),
        "waived_members": len(waived_members),
        "care": [{**row, "amount": str(row["amount"])} for row in care],
        "care_total": str(care_total),
    }


def care_spending(org: Organization, year: int) -> list[dict]:
    """What was paid in `year` for care and incentives in `org`'s subtree (spending.py: the same
    figures 纪委's 监督统计 shows), as rows: label, count (with its unit word), amount (Decimal), the
    line and the source (school or unit). The requests' rows always; a unit's own ledger, per line,
    where it spent anything."""
    rows = spending.paid_rows(org, [year])

    def total(line, source, via):
        picked = [r for r in rows if (r.line, r.source, r.via) == (line, source, via)]
        return sum(r.count for r in picked), sum((r.amount for r in picked), ZERO)

    out = []
    for source in FundingSource:
        count, amount = total("condolence", source.value, spending.REQUEST)
        out.append({"label": f"慰问金（{source.label}）", "count": count, "unit": "人次", "line": "condolence",
                    "source": source.value, "amount": amount})
    for line, label, unit in (("allowance", "兼职支部书记补贴", "批"), ("award", "表彰奖励", "项")):
        count, amount = total(line, spending.SCHOOL, spending.REQUEST)
        out.append({"label": label, "count": count, "unit": unit, "line": line, "source": spending.SCHOOL,
                    "amount": amount})
    for line, label in spending.LINES.items():
        count, amount = total(line, spending.UNIT, spending.LEDGER)
        if count:
            out.append({"label": f"二级党组织自有经费：{label}", "count": count, "unit": "笔", "line": line,
                        "source": spending.UNIT, "amount": amount})
    return out


def title(org: Organization, year: int) -> str:
    who = "全校" if org.parent_id is None else org.name
    return f"{who}{year}年度党费收缴和使用情况"


def summary_text(fig: dict) -> str:
    """The draft's body: the figures in words, for 组织部 to review (and reword) before publishing."""
    period = f"{fig['year']}年1—{fig['months']}月" if fig["months"] < 12 else f"{fig['year']}年度"
    waived = (f"经党支部讨论、二级党组织提出意见、校党委审批，{fig['waived_members']}名生活困难党员减免党费"
              f"{format_yuan(Decimal(fig['waived']))}" if fig["waived_members"] else "无减免党费情况")
    return (f"{period}，{fig['scope']}共有{fig['members']}名党员按月缴纳党费，应缴党费"
            f"{format_yuan(Decimal(fig['due']))}；{waived}，实缴{format_yuan(Decimal(fig['collected']))}。同期用于党内关怀帮扶和激励的经费共"
            f"{format_yuan(Decimal(fig['care_total']))}，明细见下表。欢迎党员同志监督。")
