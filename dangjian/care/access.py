"""Who sees and does what in 困难党员台账 and 走访慰问 (answering for the roles in effect today).

- See a member's entries, visits and 帮扶历史: the branch secretaries of the member's branch, the
  secondary unit above it, and, school-wide, 组织部, 校党委 and 纪委 (纪委 reads and changes nothing).
  Everyone else: 404.
- The private parts (困难情况, reasons, visit notes, files): the branch, the secondary unit, 组织部 and
  纪委 only; 校党委 sees the registry's categories and dates, not the hardship itself. Lists and the
  e-mails never carry them.
- 申报, 撤回, 重新提交, 销号: a secretary of the member's branch.
- 确认, 退回, 每年复核, 销号: the secondary unit above the branch; for a 直属党支部 (no secondary
  level), 组织部.
- 回避: nobody proposes, confirms or reviews an entry about themself, and the proposer does not
  confirm their own proposal (it goes to another holder of the role).
"""
from __future__ import annotations

from sqlalchemy import false, or_, select, true

from ..extensions import db
from ..models import Member, Organization, OrgKind, Role

READ_LOCAL = (Role.BRANCH_SECRETARY, Role.SECONDARY)
READ_SCHOOL = (Role.ORG_DEPT, Role.SCHOOL, Role.SUPERVISOR)
PRIVATE_SCHOOL = (Role.ORG_DEPT, Role.SUPERVISOR)


def _roles(user):
    return user.roles if user is not None and getattr(user, "is_authenticated", False) else []


def _local_paths(user) -> list[str]:
    return [ra.organization.path for ra in _roles(user) if ra.role in READ_LOCAL]


def member_scope(user):
    """A SQL condition on Member: the members whose care records `user` may see. Join
    Organization on Member.branch_id is not needed: the subtree is a sub-select."""
    roles = _roles(user)
    if any(ra.role is Role.SYSADMIN for ra in roles):
        return false()
    if any(ra.role in READ_SCHOOL for ra in roles):
        return true()
    paths = _local_paths(user)
    if not paths:
        return false()
    subtree = select(Organization.id).where(or_(*[Organization.path.startswith(p) for p in paths]))
    return Member.branch_id.in_(subtree)


def can_use(user) -> bool:
    """Whether the registry and visit pages exist for `user` at all."""
    roles = _roles(user)
    return not any(ra.role is Role.SYSADMIN for ra in roles) and any(
        ra.role in READ_LOCAL or ra.role in READ_SCHOOL for ra in roles)


def _over(user, branch, roles) -> bool:
    return any(ra.role in roles and branch.path.startswith(ra.organization.path) for ra in _roles(user))


def may_see_member(user, member) -> bool:
    roles = _roles(user)
    if any(ra.role is Role.SYSADMIN for ra in roles):
        return False
    return any(ra.role in READ_SCHOOL for ra in roles) or _over(user, member.branch, READ_LOCAL)


def may_see_private(user, member) -> bool:
    roles = _roles(user)
    if any(ra.role is Role.SYSADMIN for ra in roles):
        return False
    return any(ra.role in PRIVATE_SCHOOL for ra in roles) or _over(user, member.branch, READ_LOCAL)


def may_see_all_private(user) -> bool:
    """Private parts of every member the user lists (used by exports: one column for all rows)."""
    roles = _roles(user)
    if any(ra.role is Role.SYSADMIN for ra in roles):
        return False
    if any(ra.role in PRIVATE_SCHOOL for ra in roles):
        return True
    return not any(ra.role is Role.SCHOOL for ra in roles)


def is_branch_of(user, member) -> bool:
    return any(ra.role is Role.BRANCH_SECRETARY and ra.organization_id == member.branch_id for ra in _roles(user))


def is_confirmer_of(user, member) -> bool:
    """The level that confirms entries of `member`'s branch: the secondary unit above it, or 组织部
    for a 直属党支部."""
    branch = member.branch
    if branch.secondary_unit is None:
        return any(ra.role is Role.ORG_DEPT for ra in _roles(user))
    return _over(user, branch, (Role.SECONDARY,))


def confirming_level(member) -> str:
    return "党委组织部" if member.branch.secondary_unit is None else "二级党组织"


def self_refusal(user, member) -> str | None:
    if user.member_id is not None and user.member_id == member.id:
        return "按回避规定，不能办理本人的事项，请由其他负责人办理"
    return None


def proposable_members(user):
    """The members `user` may propose for the registry: those of the branches they are secretary of."""
    branch_ids = [ra.organization_id for ra in _roles(user) if ra.role is Role.BRANCH_SECRETARY]
    if not branch_ids:
        return []
    from ..org.standing import may_be_offered
    members = db.session.scalars(select(Member).where(Member.branch_id.in_(branch_ids))
                                 .order_by(Member.branch_id, Member.staff_no)).all()
    return [m for m in members if may_be_offered(m) and m.id != user.member_id]


def can_record_visits(user) -> bool:
    return any(ra.role in (Role.BRANCH_SECRETARY, Role.SECONDARY, Role.ORG_DEPT) for ra in _roles(user))


def visit_refusal(user, member) -> str | None:
    """Why `user` may not record a visit to `member`, or None: the member's branch, the secondary
    unit above it, or 组织部 (school leaders' visits); never a visit to oneself."""
    if not (is_branch_of(user, member) or _over(user, member.branch, (Role.SECONDARY,))
            or any(ra.role is Role.ORG_DEPT for ra in _roles(user))):
        return "您无权为该党员登记走访"
    return self_refusal(user, member)


def unit_choices(user) -> list[tuple[int, str]]:
    """The units the user may filter by: their own subtree (all for the school-wide roles)."""
    roles = _roles(user)
    q = select(Organization).where(Organization.kind.in_((OrgKind.SECONDARY, OrgKind.BRANCH)),
                                   Organization.dissolved_on.is_(None))
    if not any(ra.role in READ_SCHOOL for ra in roles):
        paths = _local_paths(user)
        if not paths:
            return []
        q = q.where(or_(*[Organization.path.startswith(p) for p in paths]))
    out = []
    for o in db.session.scalars(q.order_by(Organization.path)):
        out.append((o.id, ("　" if o.kind is OrgKind.BRANCH and o.parent and o.parent.kind is OrgKind.SECONDARY else "")
                    + o.name))
    return out
