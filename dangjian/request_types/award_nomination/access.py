"""Who may do what in 表彰推荐, outside the approval steps (which the engine decides)."""
from __future__ import annotations

from sqlalchemy import select

from ...accounts.permissions import is_sysadmin
from ...extensions import db
from ...models import Member, Role
from ...org.standing import may_be_offered
from ...timeutil import local_today
from .model import AwardCycle, AwardNomination, CycleStatus

CYCLE_READERS = (Role.ORG_DEPT, Role.SCHOOL, Role.SUPERVISOR)


def branches_of(user) -> list:
    """The branches where the user is 支部书记/支委: they nominate for these."""
    return [ra.organization for ra in user.roles
            if ra.role is Role.BRANCH_SECRETARY and ra.organization.is_branch and not ra.organization.is_dissolved]


def units_of(user) -> list:
    """The secondary units where the user ranks and forwards nominations."""
    return [ra.organization for ra in user.roles if ra.role is Role.SECONDARY]


def sees_business_content(user) -> bool:
    """三员分立: the 系统管理员 sees no 公示 事迹, objections or documents. The role is held alone
    (accounts.operations refuses it beside a business role), so this refuses the role as such."""
    return not is_sysadmin(user)


def can_read_cycles(user) -> bool:
    return any(ra.role in CYCLE_READERS for ra in user.roles)


def can_manage_cycles(user) -> bool:
    return user.holds(Role.ORG_DEPT)


def sees_objector(user) -> bool:
    """The objector's identity: 组织部 (who verifies) and 纪委 (who supervises) only."""
    return user.holds(Role.ORG_DEPT) or user.holds(Role.SUPERVISOR)


def accepting_cycles() -> list[AwardCycle]:
    return list(db.session.scalars(select(AwardCycle).where(
        AwardCycle.status == CycleStatus.OPEN, AwardCycle.deadline >= local_today())
        .order_by(AwardCycle.deadline, AwardCycle.id)))


def nominee_options(user) -> tuple[dict, list]:
    """What the user may nominate: each branch of theirs (for 先进基层党组织) and its members
    except themself. Returns ({value: (member, org, branch)}, grouped choices for the select)."""
    options, groups = {}, []
    for branch in branches_of(user):
        members = db.session.scalars(select(Member).where(Member.branch_id == branch.id)
                                     .order_by(Member.name)).all()
        choices = [(AwardNomination.key_for(org=branch), f"【党组织】{branch.name}")]
        options[choices[0][0]] = (None, branch, branch)
        for m in members:
            if m.id == user.member_id or not may_be_offered(m):  # 回避; 党籍 in good standing only
                continue
            key = AwardNomination.key_for(member=m)
            options[key] = (m, None, branch)
            choices.append((key, f"{m.name}（{m.staff_no}，{m.person_category.label}）"))
        groups.append((branch.name, choices))
    return options, groups


def register_template_helpers(bp) -> None:
    """Helpers the templates of this package use (the request page includes them too)."""
    bp.add_app_template_global(sees_objector, "award_sees_objector")
    bp.add_app_template_global(lambda user, org_id: user.holds(Role.SECONDARY, org_id), "award_ranks_for")
    from .commendation import evidence_for  # the 党建考核 grades a nomination of an organization cites
    bp.add_app_template_global(evidence_for, "award_assessment_evidence")


def led_branch_condition(user):
    """回避 in 待办: a nomination of a branch as 先进基层党组织 is decided without that branch's
    secretaries (`AwardNomination.conflicted_member_ids`). A condition on Request, true where `user`
    is one of them, so 待办 leaves it out as the engine refuses it."""
    if user.member_id is None:
        return None
    from ...models import Request, RoleAssignment, User

    led = (select(RoleAssignment.organization_id).join(User, User.id == RoleAssignment.user_id)
           .where(User.member_id == user.member_id, RoleAssignment.role == Role.BRANCH_SECRETARY,
                  RoleAssignment.in_effect()))
    return Request.id.in_(select(AwardNomination.id).where(AwardNomination.nominee_org_id.in_(led)))
