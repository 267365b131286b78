"""Who publishes what, and who reads it (§三(二)4).

* Publishers: 组织部 for the whole school and for any unit; a secondary unit (书记/组织员) for its own
  unit only.
* Readers: every signed-in user but the 系统管理员 (三员分立: no business content) sees the published
  items of their scope during the period: the school-wide ones, and those of every unit they belong
  to (their branch and the units above it) or hold a role in (and, for a role, the units below it).
  组织部, 校党委 and 纪委 read every item.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_, select, true

from ..extensions import db
from ..models import Organization, OrgKind, Role, User
from ..models.people import READER_ROLES, SCHOOL_WIDE_ROLES
from .models import ItemStatus, OpenItem


def reads_business_content(user: User) -> bool:
    return not any(ra.role is Role.SYSADMIN for ra in user.roles)


def publishes_school_wide(user: User) -> bool:
    return user.holds(Role.ORG_DEPT)


def publishing_orgs(user: User) -> list[Organization]:
    """The scopes `user` may publish for, the school first."""
    if publishes_school_wide(user):
        school = db.session.scalar(select(Organization).where(Organization.parent_id.is_(None)))
        units = db.session.scalars(select(Organization).where(
            Organization.parent_id == school.id, Organization.dissolved_on.is_(None),
            Organization.kind.in_((OrgKind.SECONDARY, OrgKind.BRANCH)))
            .order_by(Organization.kind.desc(), Organization.sort_order, Organization.id)).all()
        return [school, *units]
    return sorted({o.id: o for o in user.role_orgs(Role.SECONDARY)}.values(), key=lambda o: (o.sort_order, o.id))


def may_publish_for(user: User, org_id: int) -> bool:
    if publishes_school_wide(user):
        return True
    return any(o.id == org_id for o in user.role_orgs(Role.SECONDARY))


def manages(user: User, item: OpenItem) -> bool:
    return may_publish_for(user, item.organization_id)


def _ancestor_ids(path: str) -> set[int]:
    return {int(p) for p in path.strip("/").split("/") if p}


def reader_scope(user: User):
    """A SQL condition on OpenItem: the items whose scope reaches `user` (any status, any period)."""
    if not reads_business_content(user):
        return false()
    roles = [ra for ra in user.roles if ra.role in READER_ROLES]
    if any(ra.role in SCHOOL_WIDE_ROLES for ra in roles):
        return true()
    ids: set[int] = set()
    if user.member is not None and user.member.branch is not None:
        ids |= _ancestor_ids(user.member.branch.path)
    conds = []
    for ra in roles:
        ids |= _ancestor_ids(ra.organization.path)
        conds.append(OpenItem.organization_id.in_(
            select(Organization.id).where(Organization.path.startswith(ra.organization.path))))
    if ids:
        conds.append(OpenItem.organization_id.in_(sorted(ids)))
    # Nobody is outside the school: an account with no branch and no role still reads the school's items.
    school_ids = select(Organization.id).where(Organization.parent_id.is_(None))
    conds.append(OpenItem.organization_id.in_(school_ids))
    return or_(*conds)


def on_board(user: User, today):
    """A SQL condition: published, in its period, and in the user's scope."""
    return and_(OpenItem.status == ItemStatus.PUBLISHED, OpenItem.starts_on <= today, OpenItem.ends_on >= today,
                reader_scope(user))


def managed_scope(user: User):
    """A SQL condition on OpenItem: the items `user` manages (drafts included)."""
    if publishes_school_wide(user):
        return true()
    ids = [o.id for o in user.role_orgs(Role.SECONDARY)]
    return OpenItem.organization_id.in_(ids) if ids else false()


def can_manage_any(user: User) -> bool:
    return publishes_school_wide(user) or bool(user.role_orgs(Role.SECONDARY))
