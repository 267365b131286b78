"""Who hears that a 党务公开 item was published (§三(二)4), through `notify_people` (kind
"openness"). Not every reader in scope — a school-wide item reaches thousands — but the people who
pass it on or oversee it:

* 组织部 publishes a school-wide item → the secretaries of the secondary units (书记/组织员), and of
  the 直属党支部 (支部书记/支委), which have no secondary level above them;
* 组织部 publishes for one unit → that unit's own people (it speaks in the unit's name);
* a unit publishes → 组织部, who oversee every unit's 党务公开.

The message names the kind of item, the unit and the period, never its text (an e-mail leaves
the intranet).
"""
from __future__ import annotations

from sqlalchemy import and_, or_, select

from ..extensions import db
from ..models import Organization, OrgKind, Role, RoleAssignment, User
from ..notifications import notify_people, path_for
from .access import publishes_school_wide
from .models import OpenItem


def _holders(*conditions) -> list[int]:
    return list(db.session.scalars(
        select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .join(Organization, Organization.id == RoleAssignment.organization_id)
        .where(or_(*conditions), RoleAssignment.in_effect(), User.active.is_(True),
               Organization.dissolved_on.is_(None)).distinct()))


def _unit_people(org: Organization) -> list[int]:
    role = Role.BRANCH_SECRETARY if org.kind is OrgKind.BRANCH else Role.SECONDARY
    return _holders(and_(RoleAssignment.role == role, RoleAssignment.organization_id == org.id))


def recipients(item: OpenItem, publisher) -> list[int]:
    org = item.organization
    if org.parent_id is None:  # school-wide
        return _holders(
            and_(RoleAssignment.role == Role.SECONDARY, Organization.kind == OrgKind.SECONDARY,
                 Organization.parent_id == org.id),
            and_(RoleAssignment.role == Role.BRANCH_SECRETARY, Organization.kind == OrgKind.BRANCH,
                 Organization.parent_id == org.id))
    if publishes_school_wide(publisher):
        return _unit_people(org)
    return _holders(RoleAssignment.role == Role.ORG_DEPT)


def tell_published(item: OpenItem, publisher) -> None:
    """In the publication's transaction: a 消息 (and e-mail, by each recipient's settings)."""
    org = item.organization
    who = "党委组织部" if publishes_school_wide(publisher) else org.name
    scope = "全校" if org.parent_id is None else org.name
    notify_people("openness", recipients(item, publisher), actor=publisher,
                  subject=f"党务公开 {scope}",
                  text=f"{who}发布了{scope}的党务公开事项（{item.kind.label}），"
                       f"公开期 {item.starts_on:%Y-%m-%d} 至 {item.ends_on:%Y-%m-%d}",
                  link=path_for("openness.item", item_id=item.id))
