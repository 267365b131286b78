"""Roles with terms, read side: the organization tree offered to the 系统管理员, who held a role at
an organization on a given day, and the words for an assignment's term.

Where each role may sit is models.people.ROLE_ORG_KINDS; scope, the engine and 待办 all read the
assignment's organization, so a role is only ever recorded where all three act on it.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Organization, Role, RoleAssignment, User
from ..models.people import ROLE_ORG_KINDS, check_role_organization  # noqa: F401 (used by the views)
from ..timeutil import local_today


def org_tree(include_dissolved: bool = True) -> list[tuple[Organization, int]]:
    """Every organization in tree order, with its depth (the school at 0)."""
    orgs = db.session.scalars(select(Organization)).all()
    children: dict[int | None, list[Organization]] = {}
    for o in orgs:
        children.setdefault(o.parent_id, []).append(o)
    for kids in children.values():
        kids.sort(key=lambda o: (o.sort_order or 0, o.id))
    out: list[tuple[Organization, int]] = []

    def walk(parent_id, depth):
        for o in children.get(parent_id, []):
            if include_dissolved or not o.is_dissolved:
                out.append((o, depth))
                walk(o.id, depth + 1)

    walk(None, 0)
    return out


def org_choices(include_dissolved: bool = False) -> list[tuple[int, str]]:
    """The tree as <select> choices, indented; dissolved units are not offered for new roles."""
    return [(o.id, "\u3000" * depth + o.name + ("（已撤销）" if o.is_dissolved else ""))
            for o, depth in org_tree(include_dissolved)]


def role_choices() -> list[tuple[str, str]]:
    return [(r.value, r.label) for r in Role]


def where_held(role: Role) -> str:
    """Which kind of organization `role` sits on, in words (shown next to the role picker)."""
    from ..models.org import OrgKind
    return "、".join(OrgKind(k).label for k in ROLE_ORG_KINDS[Role(role).value])


def holders_on(org_id: int, role: Role | None, day: date) -> list[RoleAssignment]:
    """Who held `role` (every role when None) at the organization on `day`: the term covered
    that day, whether it was revoked later or not (revoking ends the term on the day it happens)."""
    q = (select(RoleAssignment).where(RoleAssignment.organization_id == org_id, RoleAssignment.held_on(day))
         .options(selectinload(RoleAssignment.user).selectinload(User.member),
                  selectinload(RoleAssignment.granted_by), selectinload(RoleAssignment.revoked_by))
         .order_by(RoleAssignment.role, RoleAssignment.starts_on, RoleAssignment.id))
    if role is not None:
        q = q.where(RoleAssignment.role == role)
    return [ra for ra in db.session.scalars(q) if not _never_held(ra)]


def current_at(org_id: int) -> list[RoleAssignment]:
    """The roles in effect today at the organization."""
    q = (select(RoleAssignment).where(RoleAssignment.organization_id == org_id, RoleAssignment.in_effect())
         .options(selectinload(RoleAssignment.user), selectinload(RoleAssignment.granted_by))
         .order_by(RoleAssignment.role, RoleAssignment.starts_on, RoleAssignment.id))
    return list(db.session.scalars(q))


def upcoming_at(org_id: int) -> list[RoleAssignment]:
    """Assignments that start after today (not revoked)."""
    q = (select(RoleAssignment).where(RoleAssignment.organization_id == org_id,
                                      RoleAssignment.revoked_at.is_(None),
                                      RoleAssignment.starts_on > local_today())
         .options(selectinload(RoleAssignment.user)).order_by(RoleAssignment.starts_on, RoleAssignment.id))
    return list(db.session.scalars(q))


def history_of(user: User) -> list[RoleAssignment]:
    """Every role the person has held (and will hold), newest term first."""
    return sorted(user.role_assignments, key=lambda ra: (ra.starts_on, ra.id), reverse=True)


def _never_held(ra: RoleAssignment) -> bool:
    """Revoked before it started (see operations.revoke_role): the term is empty."""
    return ra.ends_on is not None and ra.ends_on < ra.starts_on


def term_status(ra: RoleAssignment, today: date | None = None) -> tuple[str, str]:
    """(label, css modifier) for an assignment's term."""
    today = today or local_today()
    if ra.revoked_at is not None:
        return ("已撤销（未生效）", "revoked") if _never_held(ra) else ("已撤销", "revoked")
    if ra.starts_on > today:
        return "未开始", "pending"
    if ra.ends_on is not None and ra.ends_on < today:
        return "已结束", "draft"
    return "在任", "approved"


def term_label(ra: RoleAssignment) -> str:
    if _never_held(ra):
        return f"{ra.starts_on.isoformat()} 起（撤销时尚未生效）"
    if ra.ends_on is None:
        return f"{ra.starts_on.isoformat()} 起（未定结束日期）"
    return f"{ra.starts_on.isoformat()} 至 {ra.ends_on.isoformat()}"


def may_revoke(ra: RoleAssignment, today: date | None = None) -> bool:
    today = today or local_today()
    return ra.revoked_at is None and (ra.ends_on is None or ra.ends_on >= today)
