"""The lists: the registry and the visits, inside the viewer's scope, with their filters."""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Member, Organization
from ..timeutil import local_today
from . import access
from .models import EntryState, HardshipCategory, RegistryEntry, Visit, VisitReason

OPEN_FILTER = "open"  # 待确认 + 已退回 + 在册: the default view
OVERDUE_FILTER = "overdue"  # 在册, past the review date


def _like(q: str) -> str:
    return f"%{q.replace('%', '').replace('_', '')}%"


def _unit(query, unit_id):
    if not unit_id:
        return query
    unit = db.session.get(Organization, unit_id)
    return query.where(Organization.path.startswith(unit.path) if unit else Member.id.is_(None))


@dataclass
class RegistryFilter:
    q: str = ""
    unit_id: int | None = None
    category: str = ""
    state: str = OPEN_FILTER

    @classmethod
    def from_args(cls, args) -> "RegistryFilter":
        state = args.get("state", OPEN_FILTER)
        if state not in {OPEN_FILTER, OVERDUE_FILTER, "all", *(s.value for s in EntryState)}:
            state = OPEN_FILTER
        category = args.get("category", "")
        if category not in {c.value for c in HardshipCategory}:
            category = ""
        return cls(q=(args.get("q") or "").strip()[:50], unit_id=args.get("unit_id", type=int),
                   category=category, state=state)

    def args(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @property
    def active(self) -> bool:
        return bool(self.q or self.unit_id or self.category or self.state != OPEN_FILTER)


def registry_query(user, f: RegistryFilter, today: date | None = None):
    today = today or local_today()
    q = (select(RegistryEntry).join(Member, Member.id == RegistryEntry.member_id)
         .join(Organization, Organization.id == Member.branch_id).where(access.member_scope(user)))
    if f.q:
        q = q.where(or_(Member.name.like(_like(f.q)), Member.staff_no.like(_like(f.q))))
    q = _unit(q, f.unit_id)
    if f.category:
        # Codes are distinct words (no code is part of another), so a LIKE finds exactly one.
        q = q.where(RegistryEntry.categories.like(f"%{f.category}%"))
    if f.state == OPEN_FILTER:
        q = q.where(RegistryEntry.state.in_((EntryState.PROPOSED, EntryState.RETURNED, EntryState.CONFIRMED)))
    elif f.state == OVERDUE_FILTER:
        q = q.where(RegistryEntry.state == EntryState.CONFIRMED, RegistryEntry.review_due_on < today)
    elif f.state != "all":
        q = q.where(RegistryEntry.state == EntryState(f.state))
    return q.options(selectinload(RegistryEntry.member).selectinload(Member.branch).selectinload(Organization.parent)) \
        .order_by(Organization.path, Member.staff_no, RegistryEntry.id.desc())


@dataclass
class VisitFilter:
    q: str = ""
    unit_id: int | None = None
    reason: str = ""
    year: int | None = None

    @classmethod
    def from_args(cls, args) -> "VisitFilter":
        reason = args.get("reason", "")
        if reason not in {r.value for r in VisitReason}:
            reason = ""
        year = args.get("year", type=int)
        return cls(q=(args.get("q") or "").strip()[:50], unit_id=args.get("unit_id", type=int), reason=reason,
                   year=year if year and 2000 <= year <= 2100 else None)

    def args(self) -> dict:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}

    @property
    def active(self) -> bool:
        return bool(self.q or self.unit_id or self.reason or self.year)


def visit_query(user, f: VisitFilter):
    q = (select(Visit).join(Member, Member.id == Visit.member_id)
         .join(Organization, Organization.id == Member.branch_id).where(access.member_scope(user)))
    if f.q:
        q = q.where(or_(Member.name.like(_like(f.q)), Member.staff_no.like(_like(f.q)), Visit.visitors.like(_like(f.q))))
    q = _unit(q, f.unit_id)
    if f.reason:
        q = q.where(Visit.reason == VisitReason(f.reason))
    if f.year:
        q = q.where(Visit.visited_on >= date(f.year, 1, 1), Visit.visited_on <= date(f.year, 12, 31))
    return q.options(selectinload(Visit.member).selectinload(Member.branch)).order_by(Visit.visited_on.desc(),
                                                                                       Visit.id.desc())
