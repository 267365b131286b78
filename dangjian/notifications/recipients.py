"""Who is told: each lookup is one query that returns user ids, however many people it finds."""
from __future__ import annotations

from sqlalchemy import or_, select

from ..extensions import db
from ..models import RoleAssignment, TimelineEntry, User


def step_holders(req, role: str, org_id: int) -> list[int]:
    """The holders of `role` at `org_id` today who may act on `req` (回避: not its initiator, not a
    member it benefits) — the people whose 待办 it now is."""
    conflicted = [m for m in req.conflicted_member_ids() if m is not None]
    query = (select(User.id).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .where(RoleAssignment.role == role, RoleAssignment.organization_id == org_id,
                    RoleAssignment.in_effect(), User.active.is_(True), User.id != req.initiator_id))
    if conflicted:
        query = query.where(or_(User.member_id.is_(None), User.member_id.notin_(conflicted)))
    return list(db.session.scalars(query.distinct()))


def applicants(req) -> list[int]:
    """The initiator, and the beneficiary's own account when there is one."""
    query = select(User.id).where(User.active.is_(True), or_(
        User.id == req.initiator_id,
        *([User.member_id == req.beneficiary_id] if req.beneficiary_id else [])))
    return list(db.session.scalars(query))


def participants(req) -> list[int]:
    """People taking part in `req`: the initiator, the beneficiary's account, and everyone with a
    row on its timeline (who decided or commented)."""
    acted = select(TimelineEntry.actor_id).where(TimelineEntry.request_id == req.id,
                                                 TimelineEntry.actor_id.is_not(None))
    conds = [User.id == req.initiator_id, User.id.in_(acted)]
    if req.beneficiary_id:
        conds.append(User.member_id == req.beneficiary_id)
    return list(db.session.scalars(select(User.id).where(User.active.is_(True), or_(*conds))))
