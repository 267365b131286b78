"""催办: the initiator (or 组织部) reminds the current step's holders of a pending request.

At most once per 24 hours per request. The rule lives in the database: one conditional UPDATE of
the request row (`last_urged_at` empty or older than 24 hours), so two urges at the same moment
cannot both pass — on PostgreSQL the second waits for the first's row lock and re-checks the
condition; SQLite has one writer. Like a comment, an urge is not a decision: no state change, no
`version` bump (an approver's open form stays valid), and `NOT_HANDLING` keeps it out of 已办, 撤回
and 取回. It is a timeline row, an audit row and an `urge` notification to the holders.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import OperationalError

from .. import audit
from ..extensions import db
from ..models import Request, RequestState, Role, TimelineEntry, User
from ..models.base import utcnow
from ..notifications import notify, recipients
from ..timeutil import to_local
from .definition import Action, at_org_dept
from .engine import WorkflowError, recusal_reason, workflow_of

INTERVAL = timedelta(hours=24)


class UrgeRefused(WorkflowError):
    pass


def next_urge_at(req: Request) -> datetime | None:
    """When the request may be urged again (naive UTC), or None when it may be now."""
    if req.last_urged_at is None:
        return None
    return req.last_urged_at + INTERVAL


def _may_urge(req: Request, user: User) -> bool:
    """The initiator, and 组织部 (who follows every request of the school)."""
    if req.initiator_id == user.id:
        return True
    dept = at_org_dept(req)
    return dept is not None and user.holds(Role.ORG_DEPT, dept.id)


def not_allowed(req: Request, user: User) -> str | None:
    """Why `user` may never urge `req` as it stands (the 24 hours aside), or None."""
    if req.state is not RequestState.PENDING or not req.current_step:
        return f"申请当前为「{req.state.label}」状态，不需要催办"
    if not _may_urge(req, user):
        return "只有发起人或组织部可以催办"
    if user.holds(Role(req.current_role), req.current_org_id) and recusal_reason(req, user) is None:
        return "本申请正等待您办理，不需要催办"
    return None


def urge_refusal(req: Request, user: User, now: datetime | None = None) -> str | None:
    """Why `user` may not urge `req` now, or None."""
    return not_allowed(req, user) or too_early(req, now)


def too_early(req: Request, now: datetime | None = None) -> str | None:
    """「今天已催办，可于 …后再次催办」 while the last urge is less than 24 hours old."""
    due = next_urge_at(req)
    now = now or utcnow()
    if due is None or due <= now:
        return None
    last, again = to_local(req.last_urged_at), to_local(due)
    when = "今天" if last.date() == to_local(now).date() else "24小时内"
    return f"{when}已催办，可于{again.month}月{again.day}日 {again:%H:%M} 后再次催办"


def step_holders(req: Request) -> list[User]:
    """Who is reminded: the people whose 待办 the request is — the active accounts holding the
    current step's role at its organization today, anyone recused from it (回避) left out."""
    if not req.current_role or req.current_org_id is None:
        return []
    ids = recipients.step_holders(req, req.current_role, req.current_org_id)
    return list(db.session.scalars(select(User).where(User.id.in_(ids)).order_by(User.id))) if ids else []


def urge(req: Request, user: User, now: datetime | None = None) -> TimelineEntry:
    """Urge the current step of `req`, or raise UrgeRefused with a message for the user.
    `now` (naive UTC) is the clock seam of the tests."""
    for attempt in range(3):
        try:
            return _urge_once(req, user, now or utcnow())
        except OperationalError:
            # SQLite: another writer committed since this transaction read (see engine.apply_action).
            db.session.rollback()
            if db.engine.dialect.name != "sqlite" or attempt == 2:
                raise
            db.session.refresh(req)


def _urge_once(req: Request, user: User, now: datetime) -> TimelineEntry:
    reason = urge_refusal(req, user, now)
    if reason:
        raise UrgeRefused(reason)
    step, version = req.current_step, req.version
    taken = db.session.execute(
        update(Request)
        .where(Request.id == req.id, Request.version == version, Request.state == RequestState.PENDING,
               or_(Request.last_urged_at.is_(None), Request.last_urged_at <= now - INTERVAL))
        .values(last_urged_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != 1:
        # Someone urged it, or the request moved on, since it was read: say which.
        db.session.rollback()
        db.session.refresh(req)
        raise UrgeRefused(urge_refusal(req, user, now) or "申请状态已变化，请刷新后再催办")

    holders = step_holders(req)
    wf_step = workflow_of(req).step(step)
    org_name = req.current_org.name if req.current_org else ""
    if holders:
        detail = f"提醒「{wf_step.label}」（{org_name}）的{'、'.join(u.display_name for u in holders)}尽快办理"
    else:
        detail = f"「{wf_step.label}」（{org_name}）暂无可处理人，请组织部协调"
    initiator = req.initiator_id == user.id
    dept = at_org_dept(req)
    entry = TimelineEntry(
        request_id=req.id, actor_id=user.id, actor_role="applicant" if initiator else Role.ORG_DEPT.value,
        actor_org_id=req.organization_id if initiator else dept.id, action=Action.URGE.value, step=step,
        detail=detail, created_at=now,
    )
    db.session.add(entry)
    db.session.flush()
    audit.record("request.urge", req, user=user, number=req.number, step=step, entry_id=entry.id,
                 recipients=[u.id for u in holders])
    notify("urge", req, recipients=holders, actor=user)
    db.session.commit()
    db.session.expire(req)
    return entry
