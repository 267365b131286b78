"""Who is eligible, and how much (§三(一)3). Everything a batch line shows comes from here.

Eligibility, per branch and year:
- a 教职工党支部 (BranchType.STAFF);
- that existed in at least one month of the year (Organization.founded_on / dissolved_on);
- with a 党建考核 grade of 一般 or better for that year ("考核合格"; dangjian/assessment, the one place
  a branch's grade is kept);
- with a 兼职 secretary in at least one month (BranchSecretaryTerm.part_time);
- and not already claimed for that year by another batch (AllowanceClaim).

The month rule (月中为界): **a month belongs to whoever was secretary on its 15th**, and a branch
existed in a month when it existed on the 15th (founded on or before the 15th, and dissolved
after it; `dissolved_on` is the first day the branch no longer exists). So a secretary who took
office on 1–15 June is paid for June, one who took office on 16–30 June from July; each month goes
to exactly one person, and a change "in June" (new secretary from 1 June) splits the year into
Jan–May for the old secretary and Jun–Dec for the new one.

The amount: the annual standard (3000 yuan) × the months paid ÷ 12, where a month is paid when
the branch existed and a 兼职 secretary was in office on its 15th (a month with a 专职 secretary or
with none earns nothing). A branch's amount is worked out once, rounded half-up to the fen, then
split between its secretaries by their months: every line but the last is rounded down to the
fen and the last takes the remainder, so the lines add up to the branch's amount exactly. With
the standard of 3000 yuan each month is exactly 250 yuan and nothing is rounded.

The cap 组织部 adjusts within: a branch's lines together never exceed the standard × the months
the branch existed ÷ 12 (at most 3000 yuan a year).

The default breakdown splits a line evenly over the five items, the remainder fen to the last
(考核奖励); 组织部 adjusts it line by line.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import or_, select

from ...extensions import db
from ...models import BranchType, Member, Organization, OrgKind, RequestState, Role
from ...money import CENT, format_yuan
from ...assessment.queries import grades_for
from .model import (ANNUAL_STANDARD, ITEM_KEYS, AllowanceClaim, AllowanceLine, AssessmentGrade,
                    BranchSecretaryTerm, PaymentMethod, SecretaryAllowance)

MARK_DAY = 15  # 月中为界: a month belongs to whoever held office on its 15th
DEFAULT_SHARES = (1, 1, 1, 1, 1)  # the even default split over ITEMS


# --- months ----------------------------------------------------------------------------------

def mark(year: int, month: int) -> date:
    return date(year, month, MARK_DAY)


def existed_on(org: Organization, day: date) -> bool:
    return (org.founded_on is None or org.founded_on <= day) and \
        (org.dissolved_on is None or day < org.dissolved_on)


def existed_months(org: Organization, year: int) -> list[int]:
    return [m for m in range(1, 13) if existed_on(org, mark(year, m))]


def months_label(months: list[int]) -> str:
    """[1,2,3,7,8] -> "1–3、7–8月"; [] -> "无"."""
    if not months:
        return "无"
    runs, start, prev = [], months[0], months[0]
    for m in months[1:] + [None]:
        if m is not None and m == prev + 1:
            prev = m
            continue
        runs.append(f"{start}" if start == prev else f"{start}–{prev}")
        if m is not None:
            start = prev = m
    return "、".join(runs) + "月"


# --- money -----------------------------------------------------------------------------------

def prorate(standard: Decimal, months: int) -> Decimal:
    """standard × months ÷ 12, half-up to the fen."""
    return (Decimal(standard) * months / 12).quantize(CENT, ROUND_HALF_UP)


def split_fen(total: Decimal, weights) -> list[Decimal]:
    """Split `total` by `weights`, exact to the fen: every part but the last is rounded down and
    the last takes the remainder, so the parts always add up to `total` (deterministic)."""
    weights = list(weights)
    total_fen = int((Decimal(total) * 100).to_integral_value())
    wsum = sum(weights)
    if wsum <= 0:
        raise ValueError("weights must add up to more than 0")
    parts = [total_fen * w // wsum for w in weights[:-1]]
    parts.append(total_fen - sum(parts))
    return [(Decimal(p) / 100).quantize(CENT) for p in parts]


def default_items(amount: Decimal) -> dict[str, Decimal]:
    return dict(zip(ITEM_KEYS, split_fen(amount, DEFAULT_SHARES)))


def branch_cap(standard: Decimal, months_existed: int) -> Decimal:
    """The most a branch receives for the year: the standard prorated by the months it existed."""
    return prorate(standard, months_existed)


def formula(standard: Decimal, months: int, amount: Decimal) -> str:
    exact = Decimal(standard) * months / 12 == amount
    return f"{format_yuan(standard)} × {months}/12 {'=' if exact else '≈'} {format_yuan(amount)}"


# --- plans -----------------------------------------------------------------------------------

@dataclass
class LinePlan:
    member: Member
    months: list[int]
    amount: Decimal
    items: dict[str, Decimal]

    @property
    def months_served(self) -> int:
        return len(self.months)

    @property
    def served_label(self) -> str:
        return months_label(self.months)


@dataclass
class SecretaryRun:
    """Who held office in which months of the year (paid or not), for the computation shown."""

    member: Member
    part_time: bool
    months: list[int]

    @property
    def label(self) -> str:
        return f"{self.member.name}（{'兼职' if self.part_time else '专职'}，{months_label(self.months)}）"


@dataclass
class BranchPlan:
    branch: Organization
    year: int
    standard: Decimal
    existed: list[int] = field(default_factory=list)
    grade: AssessmentGrade | None = None
    runs: list[SecretaryRun] = field(default_factory=list)
    lines: list[LinePlan] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons and bool(self.lines)

    @property
    def reason(self) -> str:
        return "；".join(self.reasons)

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def paid_months(self) -> int:
        return sum(line.months_served for line in self.lines)

    @property
    def cap(self) -> Decimal:
        return branch_cap(self.standard, len(self.existed))

    @property
    def type_label(self) -> str:
        return self.branch.branch_type.label if self.branch.branch_type else "党支部"

    @property
    def existed_label(self) -> str:
        return months_label(self.existed)

    @property
    def unpaid_note(self) -> str:
        """Months the branch existed but earn nothing (专职 secretary or none)."""
        paid = {m for line in self.lines for m in line.months}
        unpaid = [m for m in self.existed if m not in paid]
        if not unpaid or not self.lines:
            return ""
        full_time = [m for r in self.runs if not r.part_time for m in r.months]
        parts = []
        ft = [m for m in unpaid if m in full_time]
        none = [m for m in unpaid if m not in full_time]
        if ft:
            parts.append(f"{months_label(ft)}为专职书记")
        if none:
            parts.append(f"{months_label(none)}无书记")
        return "，".join(parts) + "，不计补贴"


def unit_branches(unit: Organization) -> list[Organization]:
    """The branches a unit's batch covers: a secondary unit's branches, or for the school
    committee (组织部 starts that batch) its 直属党支部."""
    query = select(Organization).where(Organization.kind == OrgKind.BRANCH)
    if unit.kind is OrgKind.SCHOOL:
        query = query.where(Organization.parent_id == unit.id)
    else:
        query = query.where(Organization.path.startswith(unit.path), Organization.id != unit.id)
    return list(db.session.scalars(query.order_by(Organization.sort_order, Organization.id)))


def _terms_by_branch(branch_ids: list[int], year: int) -> dict[int, list[BranchSecretaryTerm]]:
    first, last = date(year, 1, 1), date(year, 12, 31)
    terms = db.session.scalars(
        select(BranchSecretaryTerm)
        .where(BranchSecretaryTerm.branch_id.in_(branch_ids), BranchSecretaryTerm.start_on <= last,
               or_(BranchSecretaryTerm.end_on.is_(None), BranchSecretaryTerm.end_on >= first))
        .order_by(BranchSecretaryTerm.start_on, BranchSecretaryTerm.id)).all()
    out: dict[int, list[BranchSecretaryTerm]] = {}
    for t in terms:
        out.setdefault(t.branch_id, []).append(t)
    return out


def plan_branch(branch: Organization, year: int, terms: list[BranchSecretaryTerm],
                assessment, claimed_by: str | None = None,
                standard: Decimal = ANNUAL_STANDARD) -> BranchPlan:
    """The computation for one branch and year, with every reason it is not eligible. `assessment`:
    the branch's graded 党建考核 of the year (anything with a `grade`), or None."""
    plan = BranchPlan(branch=branch, year=year, standard=standard)
    plan.existed = existed_months(branch, year)
    plan.grade = assessment.grade if assessment else None

    # Who held office on each month's 15th, grouped by person in order of first month.
    holder = {}
    for m in plan.existed:
        day = mark(year, m)
        holder[m] = next((t for t in terms if t.in_office(day)), None)
    runs: dict[tuple[int, bool], SecretaryRun] = {}
    for m in plan.existed:
        t = holder[m]
        if t is None:
            continue
        key = (t.member_id, t.part_time)
        if key not in runs:
            runs[key] = SecretaryRun(member=t.member, part_time=t.part_time, months=[])
        runs[key].months.append(m)
    plan.runs = list(runs.values())

    if branch.branch_type is not BranchType.STAFF:
        plan.reasons.append(f"{plan.type_label}，不属于教职工党支部")
        return plan
    if not plan.existed:
        when = []
        if branch.founded_on:
            when.append(f"成立于{branch.founded_on:%Y-%m-%d}")
        if branch.dissolved_on:
            when.append(f"撤销于{branch.dissolved_on:%Y-%m-%d}")
        plan.reasons.append(f"{year}年未存续" + (f"（{'，'.join(when)}）" if when else ""))
        return plan
    if claimed_by:
        plan.reasons.append(f"{year}年度补贴已在 {claimed_by} 中申报，同一支部每年只能享受一次")
    if assessment is None:
        plan.reasons.append(f"尚无{year}年度党建考核等次（组织部评定后方可申报）")
    elif not assessment.grade.eligible:
        plan.reasons.append(f"{year}年度党建考核等次为「{assessment.grade.label}」，须为「一般」及以上（考核合格）")
    paid_runs = [r for r in plan.runs if r.part_time]
    if not plan.runs:
        plan.reasons.append(f"{year}年无支部书记任职记录")
    elif plan.runs and not paid_runs:
        names = "、".join(r.member.name for r in plan.runs)
        plan.reasons.append(f"支部书记{names}为专职，不属于兼职支部书记补贴范围")

    if paid_runs and not plan.reasons:
        paid_months = sum(len(r.months) for r in paid_runs)
        total = prorate(standard, paid_months)
        amounts = split_fen(total, [len(r.months) for r in paid_runs])
        plan.lines = [LinePlan(member=r.member, months=r.months, amount=a, items=default_items(a))
                      for r, a in zip(paid_runs, amounts)]
    return plan


def plan_unit(unit: Organization, year: int, batch: SecretaryAllowance | None = None) -> list[BranchPlan]:
    """Every branch of the unit with its computation for `year`. Claims held by `batch` itself
    (when it is being edited) do not count against it."""
    branches = unit_branches(unit)
    ids = [b.id for b in branches]
    if not ids:
        return []
    assessments = grades_for(ids, year)
    claims = db.session.execute(
        select(AllowanceClaim.branch_id, SecretaryAllowance.number)
        .join(SecretaryAllowance, SecretaryAllowance.id == AllowanceClaim.batch_id)
        .where(AllowanceClaim.branch_id.in_(ids), AllowanceClaim.year == year,
               AllowanceClaim.batch_id != (batch.id if batch is not None else -1))).all()
    claimed = dict(claims)
    terms = _terms_by_branch(ids, year)
    return [plan_branch(b, year, terms.get(b.id, []), assessments.get(b.id), claimed.get(b.id))
            for b in branches]


def fill_batch(batch: SecretaryAllowance, plans: list[BranchPlan]) -> None:
    """Put the eligible plans into the batch as lines (replacing any), and the others as the
    exclusions shown next to them; the batch amount is the lines' total."""
    batch.standard = ANNUAL_STANDARD
    batch.lines.clear()
    position = 0
    for plan in plans:
        if not plan.eligible:
            continue
        for lp in plan.lines:
            position += 1
            batch.lines.append(AllowanceLine(
                position=position, branch=plan.branch, branch_id=plan.branch.id, member=lp.member,
                member_id=lp.member.id, branch_type_label=plan.type_label, part_time=True,
                grade=plan.grade, months_existed=len(plan.existed),
                existed_months=",".join(map(str, plan.existed)), months_served=lp.months_served,
                served_months=",".join(map(str, lp.months)), computed_amount=lp.amount, amount=lp.amount,
                payment_method=PaymentMethod.TO_SECRETARY, **lp.items))
    batch.exclusions = json.dumps(
        [{"branch": p.branch.name, "type": p.type_label, "reason": p.reason} for p in plans if not p.eligible],
        ensure_ascii=False)
    batch.amount = sum((lp.amount for p in plans if p.eligible for lp in p.lines), Decimal("0.00"))


# --- who starts, which batch exists -----------------------------------------------------------

def starting_units(user) -> list[Organization]:
    """The units whose batch the user may start: each secondary unit where they hold the
    secondary role, and the school committee (its 直属党支部) for 组织部."""
    units = [ra.organization for ra in user.roles if ra.role is Role.SECONDARY]
    for ra in user.roles:
        if ra.role is Role.ORG_DEPT:
            school = ra.organization.root
            if school not in units:
                units.append(school)
    return units


# A batch in these states stands for its unit and year: a new one is not started next to it
# (a returned or withdrawn batch is edited and resubmitted instead).
STANDING_STATES = (RequestState.DRAFT, RequestState.PENDING, RequestState.RETURNED,
                   RequestState.WITHDRAWN, RequestState.APPROVED, RequestState.COMPLETED)


def standing_batch(unit_id: int, year: int) -> SecretaryAllowance | None:
    return db.session.scalars(
        select(SecretaryAllowance)
        .where(SecretaryAllowance.organization_id == unit_id, SecretaryAllowance.year == year,
               SecretaryAllowance.state.in_(STANDING_STATES))
        .order_by(SecretaryAllowance.id.desc()).limit(1)).first()
