"""Who sees and does what in 巡察/监督检查 (answering for the roles in effect today).

- 纪委/监督 (SUPERVISOR) runs inspections: plans, findings, 整改任务, and the sign-off (验收销号) or
  return (退回) of what a unit submits. §五3 names 纪委 among the offices that 督促检查.
- 组织部 reads every plan, finding and task (it guides the units, §五3), and changes nothing here.
- A unit (二级党组织 holders for their subtree, 支部书记 for their branch) sees the plans that cover it,
  the findings about it, and its tasks; it submits the evidence of its own tasks.
- Everyone else: 404. The 系统管理员 never (三员分立).
- 回避: nobody judges their own unit: a 纪委 holder who is a member of the unit (their branch lies in
  it) or holds a unit role there records no finding or task about it, and neither signs off nor
  returns its tasks; such an act is left to another holder of the role.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, false, literal, or_, select, true

from ..extensions import db
from ..models import Organization, OrgKind, Role, RoleAssignment, User

UNIT_ROLES = (Role.SECONDARY, Role.BRANCH_SECRETARY)
RECUSAL = "按回避规定，您不能办理本人所在单位的事项，请由其他纪委工作人员办理"


def _roles(user):
    return user.roles if user is not None and getattr(user, "is_authenticated", False) else []


def _sysadmin(user) -> bool:
    return any(ra.role is Role.SYSADMIN for ra in _roles(user))


def is_inspector(user) -> bool:
    """纪委: creates plans, records findings and tasks, signs off or returns submissions."""
    return not _sysadmin(user) and any(ra.role is Role.SUPERVISOR for ra in _roles(user))


def reads_all(user) -> bool:
    return not _sysadmin(user) and any(ra.role in (Role.SUPERVISOR, Role.ORG_DEPT) for ra in _roles(user))


def unit_paths(user) -> list[str]:
    """The subtrees the user answers for as a unit (二级党组织 or 支部)."""
    if _sysadmin(user):
        return []
    return [ra.organization.path for ra in _roles(user) if ra.role in UNIT_ROLES]


def can_use(user) -> bool:
    return reads_all(user) or bool(unit_paths(user))


def _in_paths(column, paths):
    return or_(*[column.startswith(p) for p in paths])


def task_scope(user):
    """A condition on InspectionTask: the tasks `user` may see."""
    from .models import InspectionTask
    if reads_all(user):
        return true()
    paths = unit_paths(user)
    if not paths:
        return false()
    return InspectionTask.owner_org_id.in_(select(Organization.id).where(_in_paths(Organization.path, paths)))


def finding_scope(user):
    """A condition on InspectionFinding: findings about the user's units, or with a task they own."""
    from .models import InspectionFinding, InspectionTask
    if reads_all(user):
        return true()
    paths = unit_paths(user)
    if not paths:
        return false()
    under = select(Organization.id).where(_in_paths(Organization.path, paths))
    return or_(InspectionFinding.org_id.in_(under),
               exists().where(InspectionTask.finding_id == InspectionFinding.id,
                              InspectionTask.owner_org_id.in_(under)))


def plan_scope(user):
    """A condition on InspectionPlan: every plan for 纪委/组织部; for a unit, the plans covering an
    organization in its subtree or above it (a plan of the 二级党组织 concerns its branches)."""
    from .models import InspectionPlan, InspectionPlanUnit
    if reads_all(user):
        return true()
    paths = unit_paths(user)
    if not paths:
        return false()
    conds = [Organization.path.startswith(p) for p in paths] + [literal(p).startswith(Organization.path) for p in paths]
    return exists().where(InspectionPlanUnit.plan_id == InspectionPlan.id,
                          InspectionPlanUnit.org_id == Organization.id, or_(*conds))


def involved(user, org) -> bool:
    """Whether `user` belongs to `org`'s side: a member of a branch in it, or a unit role in it or
    above it (回避)."""
    member = getattr(user, "member", None)
    if member is not None and member.branch is not None and member.branch.path.startswith(org.path):
        return True
    return any(ra.role in UNIT_ROLES and (ra.organization.path.startswith(org.path)
                                           or org.path.startswith(ra.organization.path)) for ra in _roles(user))


def is_owner(user, task) -> bool:
    """The unit that rectifies: its 二级党组织 holders (or those above it) or its 支部书记."""
    return any(task.owner.path.startswith(p) for p in unit_paths(user))


def units(user=None) -> list[tuple[Organization, str]]:
    """Units an inspection may cover or a task may be given to: 二级党组织 and 党支部 in tree order,
    each with its label (branches indented under their unit). With `user`, cut to what they see."""
    q = select(Organization).where(Organization.kind.in_((OrgKind.SECONDARY, OrgKind.BRANCH)),
                                   Organization.dissolved_on.is_(None))
    if user is not None and not reads_all(user):
        paths = unit_paths(user)
        if not paths:
            return []
        q = q.where(_in_paths(Organization.path, paths))
    out = []
    for o in sorted(db.session.scalars(q), key=lambda o: [int(x) for x in o.path.strip("/").split("/")]):
        nested = o.kind is OrgKind.BRANCH and o.parent is not None and o.parent.kind is OrgKind.SECONDARY
        out.append((o, ("　" if nested else "") + o.name))
    return out


def unit_choices(user=None) -> list[tuple[int, str]]:
    return [(o.id, label) for o, label in units(user)]


def has_tasks(user) -> bool:
    """A unit user with at least one task in their subtree (the navigation shows 整改任务 then)."""
    from .models import InspectionTask
    paths = unit_paths(user)
    if not paths:
        return False
    return db.session.scalar(select(exists().where(and_(
        InspectionTask.owner_org_id == Organization.id, _in_paths(Organization.path, paths))))) or False


def unit_people(orgs, day) -> list[User]:
    """The active users who act for these organizations on `day` (书记/组织员 of a 二级党组织, 支部书记
    of a branch): whom a reminder about their 整改任务 goes to."""
    ids = [o.id for o in orgs]
    return list(db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role.in_(UNIT_ROLES), RoleAssignment.organization_id.in_(ids),
               RoleAssignment.in_effect(day), User.active.is_(True)).distinct().order_by(User.id)))


def inspectors_for(task, day) -> list[User]:
    """Who should sign off `task`: the 纪委 holder who gave it, while they still hold the role and need
    not step aside; otherwise every 纪委 holder who may."""
    def fit(user):
        return user.active and is_inspector(user) and not involved(user, task.finding.organization) \
            and not involved(user, task.owner)
    if task.created_by is not None and fit(task.created_by):
        return [task.created_by]
    holders = db.session.scalars(
        select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.role == Role.SUPERVISOR, RoleAssignment.in_effect(day), User.active.is_(True))
        .distinct().order_by(User.id))
    return [u for u in holders if fit(u)]
