"""Who sees and who acts on 党建考核, and who must step aside (回避).

Scope (the same subtrees as requests, dangjian/scope.py): 组织部, 校党委 and 纪委 see every
organization's assessment; a secondary unit (书记/组织员) its own and its branches'; a branch's
支部书记/支委 their branch's. The 系统管理员 sees none (三员分立). Everyone else: 404.

Acting: the unit submits its self-evaluation and its 整改 evidence (a branch by its 支部书记/支委, a
secondary unit by its 书记/组织员); 组织部 returns, grades, records 约谈, sets and signs off 整改任务,
but never for an organization its user belongs to or leads (`conflict`).
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import false, or_, select, true

from ..extensions import db
from ..models import Organization, OrgKind, Role, RoleAssignment, User
from ..models.people import SCHOOL_WIDE_ROLES
from .models import Assessment

LEADING_ROLES = (Role.BRANCH_SECRETARY, Role.SECONDARY)


def reads_all(user) -> bool:
    return any(ra.role in SCHOOL_WIDE_ROLES for ra in user.roles)


def is_org_dept(user) -> bool:
    return user.holds(Role.ORG_DEPT)


def led_orgs(user) -> list[Organization]:
    """The organizations the user leads: branches (支部书记/支委) and secondary units (书记/组织员)."""
    return [ra.organization for ra in user.roles if ra.role in LEADING_ROLES]


def can_read_any(user) -> bool:
    return reads_all(user) or bool(led_orgs(user))


def visible_condition(user):
    """A SQL condition on Assessment: the assessments `user` may see."""
    if any(ra.role is Role.SYSADMIN for ra in user.roles):
        return false()
    if reads_all(user):
        return true()
    paths = [org.path for org in led_orgs(user)]
    if not paths:
        return false()
    subtree = select(Organization.id).where(or_(*[Organization.path.startswith(p) for p in paths]))
    return Assessment.organization_id.in_(subtree)


def assessment_or_404(assessment_id: int, user) -> Assessment:
    a = db.session.scalar(select(Assessment).where(Assessment.id == assessment_id, visible_condition(user)))
    if a is None:
        abort(404)
    return a


def acts_for_unit(user, org: Organization) -> bool:
    """The unit's own people: 支部书记/支委 of a branch, 书记/组织员 of a secondary unit."""
    role = Role.BRANCH_SECRETARY if org.kind is OrgKind.BRANCH else Role.SECONDARY
    return user.holds(role, org.id)


def unit_people(org: Organization) -> list[int]:
    """The user ids who act for the unit (told of returns, grades and overdue 整改)."""
    role = Role.BRANCH_SECRETARY if org.kind is OrgKind.BRANCH else Role.SECONDARY
    return list(db.session.scalars(
        select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == role, RoleAssignment.organization_id == org.id,
               RoleAssignment.in_effect(), User.active.is_(True)).distinct()))


def conflict(user, org: Organization) -> str | None:
    """回避: a 组织部 user does not judge an organization they belong to (a member of one of its
    branches) or lead (支部书记/支委 or 书记/组织员 in it, or of the secondary unit above a branch)."""
    member = user.member
    if member is not None and member.branch is not None and member.branch.path.startswith(org.path):
        return f"您是{org.name}的党员，按回避规定不能评定或验收该组织的考核，由组织部其他同志处理"
    for ra in user.roles:
        if ra.role not in LEADING_ROLES:
            continue
        led = ra.organization
        if led.path.startswith(org.path) or org.path.startswith(led.path):
            return f"您是{led.name}的负责人，按回避规定不能评定或验收{org.name}的考核，由组织部其他同志处理"
    return None


def org_dept_people(org: Organization) -> list[int]:
    """组织部's users who may judge `org` (told of a submission), without those who must step aside."""
    users = db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.ORG_DEPT, RoleAssignment.in_effect(), User.active.is_(True))
        .distinct()).all()
    return [u.id for u in users if conflict(u, org) is None]
