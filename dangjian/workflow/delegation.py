"""委托代理 operations: name a deputy for a role and a date range (出差, 休假), end it early.

Who may be a deputy (DOMAIN: "a role acts only inside its own organization subtree"): an active
account other than the holder's own, that belongs to the subtree of the delegated role's
organization — a member of a branch in it, or a holder of a role in it — and is not a 系统管理员
(三员分立: that account reads no request). A 支部书记 thus names a 支委 or a member of the branch, an
组织部 staffer a colleague, a 校党委 member anyone in the school.

What the deputy may then do, and the recusal that binds both deputy and holder, is the engine's
rule (`workflow.routing`). Every change writes an audit row.
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, exists, or_, select

from .. import audit
from ..dates import cn_day
from ..extensions import db
from ..models import Delegation, Member, Organization, Role, RoleAssignment, User
from ..models.base import utcnow
from ..timeutil import local_today
from .routing import ACTING_ROLES

MAX_DAYS = 180  # a delegation covers an absence, not a change of office (that is a new 任命)
ALL = "all"


class DelegationInvalid(Exception):
    """Field → Chinese message; nothing was written."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def delegable_assignments(user: User) -> list[RoleAssignment]:
    """The user's roles in effect that act on steps (纪委 and 系统管理员 have nothing to delegate)."""
    return [ra for ra in user.roles if ra.role in ACTING_ROLES]


def role_label(ra: RoleAssignment) -> str:
    return f"{ra.organization.name} · {ra.role.label}"


def _in_subtree(org: Organization):
    """A condition on User: the account belongs to `org`'s subtree."""
    subtree = select(Organization.id).where(Organization.path.startswith(org.path))
    member_here = User.member_id.in_(select(Member.id).where(Member.branch_id.in_(subtree)))
    role_here = User.id.in_(select(RoleAssignment.user_id).where(
        RoleAssignment.organization_id.in_(subtree), RoleAssignment.in_effect()))
    return or_(member_here, role_here)


def eligible_deputies(delegator: User, assignments: list[RoleAssignment]):
    """A SELECT of the accounts that may be `delegator`'s deputy for every one of `assignments`."""
    sysadmin = exists().where(RoleAssignment.user_id == User.id, RoleAssignment.role == Role.SYSADMIN,
                              RoleAssignment.in_effect())
    return (select(User).where(User.active.is_(True), User.id != delegator.id, ~sysadmin,
                               and_(*[_in_subtree(ra.organization) for ra in assignments]))
            .order_by(User.display_name, User.id))


def create(delegator: User, *, assignment: str, deputy_id: int | None, starts_on: date | None,
           ends_on: date | None, reason: str) -> list[Delegation]:
    """Name a deputy for one role assignment (its id) or for all of them (ALL): one row each.
    Raises DelegationInvalid with every problem found; commits on success."""
    errors: dict[str, str] = {}
    mine = delegable_assignments(delegator)
    if assignment == ALL:
        chosen = mine
    else:
        chosen = [ra for ra in mine if str(ra.id) == str(assignment)]
    if not chosen:
        errors["assignment"] = "请选择要委托的角色" if mine else "您没有可以委托的审批角色"

    deputy = db.session.get(User, deputy_id) if deputy_id else None
    if deputy is None:
        errors["deputy"] = "请选择代理人"
    elif deputy.id == delegator.id:
        errors["deputy"] = "不能委托给本人"
    elif chosen and db.session.scalar(eligible_deputies(delegator, chosen).where(User.id == deputy.id)) is None:
        errors["deputy"] = (f"{deputy.display_name}的账号已停用，不能作为代理人" if not deputy.active else
                            f"{deputy.display_name}不在所委托角色的组织范围内（或为系统管理员），不能作为代理人")

    today = local_today()
    if starts_on is None:
        errors["starts_on"] = "请填写开始日期"
    elif starts_on < today:
        errors["starts_on"] = "开始日期不能早于今天"
    if ends_on is None:
        errors["ends_on"] = "请填写结束日期"
    elif starts_on is not None and ends_on < starts_on:
        errors["ends_on"] = "结束日期不能早于开始日期"
    elif starts_on is not None and (ends_on - starts_on).days + 1 > MAX_DAYS:
        errors["ends_on"] = f"委托期限不能超过{MAX_DAYS}天；长期不能履职请联系组织部调整任命"
    else:
        for ra in chosen:
            if ra.ends_on is not None and ends_on > ra.ends_on:
                errors["ends_on"] = f"结束日期不能晚于「{role_label(ra)}」的任期结束日期（{cn_day(ra.ends_on)}）"
                break

    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "请填写委托事由（如出差、休假）"
    elif len(reason) > 200:
        errors["reason"] = f"委托事由不能超过200字（现为{len(reason)}字）"

    if not errors:
        for ra in chosen:
            clash = _overlapping(ra, starts_on, ends_on)
            if clash is not None:
                errors["starts_on"] = (f"「{role_label(ra)}」在{cn_day(clash.starts_on)}至{cn_day(clash.ends_on)}"
                                       f"已委托给{clash.deputy.display_name}，委托期间不能重叠；"
                                       "如需更换代理人，请先结束原委托")
                break
    if errors:
        raise DelegationInvalid(errors)

    rows = []
    for ra in chosen:
        row = Delegation(delegator_id=delegator.id, deputy_id=deputy.id, role_assignment_id=ra.id,
                         starts_on=starts_on, ends_on=ends_on, reason=reason)
        db.session.add(row)
        db.session.flush()
        audit.record("delegation.created", row, user=delegator, deputy=deputy.display_name, deputy_id=deputy.id,
                     role=ra.role.value, organization=ra.organization.name,
                     starts_on=starts_on.isoformat(), ends_on=ends_on.isoformat(), reason=reason)
        rows.append(row)
    db.session.commit()
    return rows


def _overlapping(ra: RoleAssignment, starts_on: date, ends_on: date) -> Delegation | None:
    return db.session.scalars(select(Delegation).where(
        Delegation.role_assignment_id == ra.id, Delegation.ended_at.is_(None),
        Delegation.starts_on <= ends_on, Delegation.ends_on >= starts_on)).first()


def end(delegator: User, delegation_id: int) -> Delegation | None:
    """提前结束 (or cancel one not yet begun): the deputy may no longer act from now on. None when
    the delegation is not the user's own (the page answers 404). Raises DelegationInvalid when it
    has already ended."""
    row = db.session.scalar(select(Delegation).where(Delegation.id == delegation_id,
                                                     Delegation.delegator_id == delegator.id))
    if row is None:
        return None
    if not row.can_end:
        raise DelegationInvalid({"delegation": f"该委托{row.status_label}，无需结束"})
    was = row.status
    row.ended_at = utcnow()
    audit.record("delegation.ended", row, user=delegator, deputy=row.deputy.display_name, deputy_id=row.deputy_id,
                 role=row.role_assignment.role.value, organization=row.role_assignment.organization.name,
                 was=was, starts_on=row.starts_on.isoformat(), ends_on=row.ends_on.isoformat())
    db.session.commit()
    return row


def given(user: User) -> list[Delegation]:
    """The user's delegations, the current and upcoming first, then the past (most recent first)."""
    rows = db.session.scalars(select(Delegation).where(Delegation.delegator_id == user.id)
                              .order_by(Delegation.starts_on.desc(), Delegation.id.desc())).all()
    return sorted(rows, key=lambda d: (not d.can_end,))


def received(user: User) -> list[Delegation]:
    """Delegations naming the user as deputy that are in effect or still to come."""
    today = local_today()
    return list(db.session.scalars(select(Delegation).where(
        Delegation.deputy_id == user.id, Delegation.ended_at.is_(None), Delegation.ends_on >= today)
        .order_by(Delegation.starts_on, Delegation.id)))


def default_dates() -> tuple[date, date]:
    today = local_today()
    return today, today + timedelta(days=6)
