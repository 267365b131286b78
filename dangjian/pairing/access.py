"""Who may do what with pairings and volunteer records (404 outside it).

- Keep them (新建结对, 结束, 登记联系, 登记志愿服务): a branch secretary for the branch's members, a
  secondary unit for its subtree, 组织部 for all. Nobody records for themself (回避): not a pairing
  in which they are the member helped, not their own volunteer hours.
- Read them: the same, plus 校党委 and 纪委 (school-wide, read-only). The helper also sees their
  own pairings and records its contacts.
"""
from __future__ import annotations

from flask import abort
from sqlalchemy import or_, select

from ..extensions import db
from ..models import Organization, Role
from ..scope import org_visible, visible_orgs
from .models import Pairing, VolunteerRecord

KEEPER_ROLES = (Role.BRANCH_SECRETARY, Role.SECONDARY, Role.ORG_DEPT)


def _is_sysadmin(user) -> bool:
    return any(ra.role is Role.SYSADMIN for ra in user.roles)


def keeper_paths(user) -> list[str] | None:
    """Paths of the subtrees the user keeps records for; None: all (组织部)."""
    if _is_sysadmin(user):
        return []
    if user.holds(Role.ORG_DEPT):
        return None
    return [ra.organization.path for ra in user.roles if ra.role in (Role.BRANCH_SECRETARY, Role.SECONDARY)]


def can_keep(user, org=None) -> bool:
    """Keeps records at all (org None), or for members of `org`."""
    paths = keeper_paths(user)
    if paths is None:
        return True
    if org is None:
        return bool(paths)
    return any(org.path.startswith(p) for p in paths)


def can_read(user) -> bool:
    return not _is_sysadmin(user) and (can_keep(user) or user.holds(Role.SCHOOL) or user.holds(Role.SUPERVISOR))


def is_helper(user) -> bool:
    return user.member_id is not None and db.session.scalar(
        select(Pairing.id).where(Pairing.helper_id == user.member_id).limit(1)) is not None


def visible_pairings(user):
    scoped = select(Organization.id).where(visible_orgs(user))
    conds = [Pairing.organization_id.in_(scoped)] if can_read(user) else []
    if user.member_id is not None and not _is_sysadmin(user):
        conds.append(Pairing.helper_id == user.member_id)
    return or_(*conds) if conds else Pairing.id.is_(None)


def visible_volunteer_records(user):
    if not can_read(user):
        return VolunteerRecord.id.is_(None)
    return VolunteerRecord.organization_id.in_(select(Organization.id).where(visible_orgs(user)))


def get_pairing_or_404(pairing_id: int, user) -> Pairing:
    pairing = db.session.scalar(select(Pairing).where(Pairing.id == pairing_id, visible_pairings(user)))
    if pairing is None:
        abort(404)
    return pairing


def can_end(user, pairing) -> bool:
    return can_keep(user, pairing.organization) and user.member_id != pairing.member_id


def can_add_contact(user, pairing) -> bool:
    return can_end(user, pairing) or (user.member_id is not None and user.member_id == pairing.helper_id)


def can_see_member(user, member) -> bool:
    """For the member's 帮扶历史: the viewer's scope holds the member's branch."""
    return org_visible(user, member.branch)
