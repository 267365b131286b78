"""走访慰问 (§三(二)2): "坚持对老党员、老模范进行定期走访慰问；坚持在党员患病住院、家庭发生意外、
生活遇到特殊困难、有较大思想波动等情况时，随时走访慰问".

A visit is a record, not a request: no money and no approval. It may point to the 慰问金 request
that paid, when money was paid. The roster lists the 老党员 (≥ 50 years of standing on the
occasion's date, from 入党日期) and 老模范 due a 七一 or 春节 visit, and which have had it.
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import selectinload

from .. import audit, uploads
from ..dates import cn_day
from ..extensions import db
from ..models import Member, MemberStatus, Organization, Request, RequestState
from ..models.people import OLD_MEMBER_YEARS
from ..scope import visible_requests
from ..timeutil import local_today
from . import access
from .models import Visit, VisitOccasion, VisitReason
from .registry import RegistryRefused, _clean_text, check_files, store_files

NOTES_MAX = 1000
MAX_VISITORS = 10
# A 七一/春节 visit happens in the weeks before the day (and a few days after, at the latest).
BEFORE_DAYS, AFTER_DAYS = 92, 15
_SEPARATORS = re.compile(r"[、,，;；\s]+")


def occasion_date(occasion: VisitOccasion, year: int) -> date:
    from ..request_types.condolence.campaign import LUNAR_NEW_YEAR
    if occasion is VisitOccasion.JULY_FIRST:
        return date(year, 7, 1)
    return LUNAR_NEW_YEAR.get(year, date(year, 2, 1))


def default_occasion(today: date) -> tuple[VisitOccasion, int]:
    """The next 七一 or 春节: 七一 from March to July, else the coming 春节."""
    if 3 <= today.month <= 7:
        return VisitOccasion.JULY_FIRST, today.year
    return VisitOccasion.SPRING_FESTIVAL, today.year + 1 if today.month >= 8 else today.year


def occasion_choices(today: date) -> list[tuple[VisitOccasion, int]]:
    """The occasions a visit can be filed under now: last, this and the next 七一 and 春节."""
    out = []
    for year in (today.year - 1, today.year, today.year + 1):
        for occ in (VisitOccasion.SPRING_FESTIVAL, VisitOccasion.JULY_FIRST):
            d = occasion_date(occ, year)
            if d - timedelta(days=BEFORE_DAYS) <= today + timedelta(days=BEFORE_DAYS) and d >= today - timedelta(days=366):
                out.append((occ, year))
    return out


def split_visitors(text: str | None) -> list[str]:
    return [n for n in _SEPARATORS.split((text or "").strip()) if n]


def condolence_choices(user, member) -> list[Request]:
    """The 慰问金 requests a visit to `member` may point to: approved or paid, and visible to `user`."""
    from ..request_types.condolence.model import CondolencePayment
    return list(db.session.scalars(select(CondolencePayment).where(
        CondolencePayment.beneficiary_id == member.id, visible_requests(user, copies=False),
        CondolencePayment.state.in_((RequestState.APPROVED, RequestState.COMPLETED)))
        .order_by(CondolencePayment.id.desc())))


def record_visit(user, member: Member | None, *, visited_on: date | None, visitors: str, reason: str,
                 occasion: str = "routine", occasion_year: int | None = None, notes: str = "",
                 condolence_id: int | None = None, photos=()) -> Visit:
    """登记走访: validates everything, then writes the visit, its photos and the audit row at once."""
    if member is None:
        raise RegistryRefused("请选择走访对象", "member")
    refusal = access.visit_refusal(user, member)
    if refusal:
        raise RegistryRefused(refusal, "member")
    today = local_today()
    if visited_on is None:
        raise RegistryRefused("请填写走访日期", "visited_on")
    if visited_on > today:
        raise RegistryRefused("走访日期不能晚于今天：请在走访之后登记", "visited_on")
    if visited_on < member.joined_party_on:
        raise RegistryRefused("走访日期早于该党员的入党日期，请核对", "visited_on")
    names = split_visitors(visitors)
    if not names:
        raise RegistryRefused("请填写走访人（可填多人，用顿号分隔）", "visitors")
    if len(names) > MAX_VISITORS:
        raise RegistryRefused(f"走访人最多{MAX_VISITORS}人", "visitors")
    if any(len(n) > 20 for n in names):
        raise RegistryRefused("每位走访人的姓名不能超过20字，多人请用顿号分隔", "visitors")
    joined = _clean_text("走访人", "、".join(names), 200, "visitors")
    try:
        why = VisitReason(reason)
    except ValueError:
        raise RegistryRefused("请选择走访事由", "reason") from None
    try:
        occ = VisitOccasion(occasion or "routine")
    except ValueError:
        raise RegistryRefused("请选择走访时节", "occasion") from None
    if occ is VisitOccasion.ROUTINE:
        occasion_year = None
    else:
        if not occasion_year:
            raise RegistryRefused("请选择七一或春节的年份", "occasion")
        day = occasion_date(occ, occasion_year)
        if not (day - timedelta(days=BEFORE_DAYS) <= visited_on <= day + timedelta(days=AFTER_DAYS)):
            raise RegistryRefused(f"{occasion_year}年{occ.label}应在{day.month}月{day.day}日前后登记"
                                  f"（{cn_day(day - timedelta(days=BEFORE_DAYS))}至"
                                  f"{cn_day(day + timedelta(days=AFTER_DAYS))}），请核对走访日期或时节", "visited_on")
    notes = _clean_text("走访情况", notes, NOTES_MAX, "notes", required=False)
    if condolence_id:
        if condolence_id not in {r.id for r in condolence_choices(user, member)}:
            raise RegistryRefused("所选慰问金申请不属于该党员，或尚未审批通过", "condolence_id")
    photos = check_files(photos)
    written: list[str] = []
    try:
        visit = Visit(member=member, visited_on=visited_on, visitors=joined, reason=why, occasion=occ,
                      occasion_year=occasion_year, notes=notes, condolence_id=condolence_id or None,
                      recorded_by_id=user.id)
        db.session.add(visit)
        db.session.flush()
        store_files(photos, user, written, visit_id=visit.id)
        audit.record("care.visit.recorded", visit, user=user, member_id=member.id, visited_on=visited_on,
                     reason=why.value, occasion=occ.value, occasion_year=occasion_year,
                     condolence_id=condolence_id or None, photos=len(photos))
        db.session.commit()
    except Exception:
        db.session.rollback()
        uploads.discard(written)
        raise
    return visit


# --- the roster: 老党员 and 老模范 due a 七一 / 春节 visit --------------------------------------------

def fifty_years_before(day: date) -> date:
    try:
        return day.replace(year=day.year - OLD_MEMBER_YEARS)
    except ValueError:
        return day.replace(year=day.year - OLD_MEMBER_YEARS, day=28)


def due_condition(occasion: VisitOccasion, year: int):
    """SQL: a member due a visit for the occasion: 正常党籍, and 老党员 on its date or 老模范."""
    cutoff = fifty_years_before(occasion_date(occasion, year))
    return and_(Member.status == MemberStatus.NORMAL,
                or_(Member.joined_party_on <= cutoff, Member.is_model_worker.is_(True)))


def visited_condition(occasion: VisitOccasion, year: int):
    return exists().where(Visit.member_id == Member.id, Visit.occasion == occasion, Visit.occasion_year == year)


def roster_query(user, occasion: VisitOccasion, year: int, unit_id: int | None = None, done: str = ""):
    q = (select(Member).join(Organization, Organization.id == Member.branch_id)
         .where(access.member_scope(user), due_condition(occasion, year)))
    if unit_id:
        unit = db.session.get(Organization, unit_id)
        q = q.where(Organization.path.startswith(unit.path) if unit else Member.id.is_(None))
    if done == "yes":
        q = q.where(visited_condition(occasion, year))
    elif done == "no":
        q = q.where(~visited_condition(occasion, year))
    return q.options(selectinload(Member.branch).selectinload(Organization.parent)) \
        .order_by(Organization.path, Member.staff_no)


def roster_summary(user, occasion: VisitOccasion, year: int) -> list[dict]:
    """Completion per unit: the secondary unit (or 直属党支部) for school-wide readers, the branch for
    a secondary unit or branch; each with due, done and not yet."""
    school_wide = any(ra.role in access.READ_SCHOOL for ra in user.roles)
    rows = db.session.execute(
        select(Member.branch_id, visited_condition(occasion, year).label("done"))
        .where(access.member_scope(user), due_condition(occasion, year))).all()
    branches = {o.id: o for o in db.session.scalars(
        select(Organization).where(Organization.id.in_({r.branch_id for r in rows})))} if rows else {}
    units: dict[int, dict] = {}
    for branch_id, done in rows:
        branch = branches[branch_id]
        unit = (branch.secondary_unit or branch) if school_wide else branch
        u = units.setdefault(unit.id, {"unit": unit, "due": 0, "done": 0})
        u["due"] += 1
        u["done"] += 1 if done else 0
    out = sorted(units.values(), key=lambda u: u["unit"].path)
    for u in out:
        u["todo"] = u["due"] - u["done"]
    return out


def visited_ids(member_ids, occasion: VisitOccasion, year: int) -> dict[int, Visit]:
    if not member_ids:
        return {}
    return {v.member_id: v for v in db.session.scalars(select(Visit).where(
        Visit.member_id.in_(list(member_ids)), Visit.occasion == occasion, Visit.occasion_year == year)
        .order_by(Visit.visited_on))}
