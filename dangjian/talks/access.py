"""Who may do what with talks. Every page loads through these, so anything outside a user's scope
answers 404.

- Holding a talk: a branch secretary (支部书记/支委) in the name of their branch, with its members; a
  leader — 二级党组织 (their unit's subtree) or 校党委 (the whole school) — in the name of their unit.
- Seeing a record (date, participants, kind): its holder, and whoever's scope holds its organization
  (the branch's secretaries, the secondary unit, 组织部, 校党委, 纪委). The 系统管理员 sees none.
- Seeing its content and reason (§三(二)1 privacy): only the holder, their upper level — the secondary
  unit above a branch (组织部 for a 直属党支部), 组织部 for a leader's talk — and 纪委.
- 联系点: 组织部 keeps them.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import false, or_, select

from ..accounts.permissions import is_org_dept, is_supervisor
from ..extensions import db
from ..models import Member, MemberStatus, Organization, OrgKind, Role
from ..models.people import READER_ROLES, SCHOOL_WIDE_ROLES
from ..scope import org_visible, visible_orgs
from .models import Talk

HOLDER_ROLES = {Role.BRANCH_SECRETARY: "secretary", Role.SECONDARY: "leader", Role.SCHOOL: "leader"}


@dataclass(frozen=True)
class Capacity:
    """In whose name a user holds a talk: `org` and whether as its secretary or as a leader."""

    org: Organization
    kind: str  # "secretary" | "leader"

    @property
    def label(self) -> str:
        role = "支部书记/支委" if self.kind == "secretary" else (
            "校党委" if self.org.kind is OrgKind.SCHOOL else "二级党组织领导")
        return f"{self.org.name} · {role}"


def capacities(user) -> list[Capacity]:
    seen, out = set(), []
    for ra in user.roles:
        kind = HOLDER_ROLES.get(ra.role)
        if kind and ra.organization_id not in seen and not ra.organization.is_dissolved:
            seen.add(ra.organization_id)
            out.append(Capacity(ra.organization, kind))
    return out


def capacity_for(user, org_id: int | None) -> Capacity | None:
    for c in capacities(user):
        if c.org.id == org_id:
            return c
    return None


def is_school_wide(user) -> bool:
    return any(ra.role in SCHOOL_WIDE_ROLES for ra in user.roles)


def _is_sysadmin(user) -> bool:
    return any(ra.role is Role.SYSADMIN for ra in user.roles)


def can_use(user) -> bool:
    """The 谈心谈话 pages at all: anyone holding a talk or reading them (never the 系统管理员)."""
    return not _is_sysadmin(user) and any(ra.role in READER_ROLES for ra in user.roles)


def org_in_scope(user, org) -> bool:
    return org_visible(user, org)


def orgs_condition(user):
    """A SQL condition on Organization: the organizations in the user's scope."""
    return visible_orgs(user)


def visible_talks(user):
    """A SQL condition on Talk: the records the user may see (not necessarily their content)."""
    if _is_sysadmin(user):
        return false()
    scoped = select(Organization.id).where(orgs_condition(user))
    return or_(Talk.held_by_id == user.id, Talk.organization_id.in_(scoped))


def get_talk_or_404(talk_id: int, user) -> Talk:
    from flask import abort
    talk = db.session.scalar(select(Talk).where(Talk.id == talk_id, visible_talks(user)))
    if talk is None:
        abort(404)
    return talk


def upper_level_reads(user, org) -> bool:
    """The holder's upper level for a talk held in the name of `org` (§三(二)1 privacy)."""
    if org.kind is OrgKind.BRANCH:
        unit = org.secondary_unit
        if unit is not None:
            return user.holds(Role.SECONDARY, unit.id)
        return is_org_dept(user)  # 直属党支部: the school committee's office
    return is_org_dept(user)  # a leader's talk (二级党组织 or 校党委)


def can_read_content(user, talk) -> bool:
    if _is_sysadmin(user):
        return False
    return talk.held_by_id == user.id or is_supervisor(user) or upper_level_reads(user, talk.organization)


def candidates(capacity: Capacity, user) -> list[Member]:
    """The members the user may talk with in this capacity: members in good standing of the branch
    (a secretary) or the unit's subtree (a leader), never the user's own record."""
    query = (select(Member).join(Organization, Organization.id == Member.branch_id)
             .where(Organization.path.startswith(capacity.org.path), Member.status == MemberStatus.NORMAL)
             .order_by(Organization.path, Member.staff_no))
    if user.member_id is not None:
        query = query.where(Member.id != user.member_id)
    return list(db.session.scalars(query))


def can_manage_links(user) -> bool:
    return is_org_dept(user)
