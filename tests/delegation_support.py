"""Helpers of the 委托代理 and 转办 tests, shared with every request type's workflow table."""
from datetime import timedelta

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Delegation, Role, User
from dangjian.models.base import utcnow
from dangjian.timeutil import local_today


def role_of(user, role: Role):
    return next(ra for ra in user.roles if ra.role is role)


def delegate(delegator, deputy, role=Role.BRANCH_SECRETARY, starts=0, ends=6, ended=False) -> Delegation:
    """A delegation whose dates are days from today (negative: in the past), written directly, so a
    test can start with one that has already run out."""
    today = local_today()
    row = Delegation(delegator_id=delegator.id, deputy_id=deputy.id, role_assignment_id=role_of(delegator, role).id,
                     starts_on=today + timedelta(days=starts), ends_on=today + timedelta(days=ends), reason="出差",
                     ended_at=utcnow() if ended else None)
    db.session.add(row)
    db.session.commit()
    return row


def transfer_kw(kw: dict) -> dict:
    """A workflow table's 转办 case names the assignee by username: the engine wants the user, in the
    payload, and an opinion (转办说明) as the form requires."""
    kw = dict(kw)
    username = kw.pop("assignee", None)
    assignee = db.session.scalar(select(User).where(User.username == username)) if username else None
    kw.setdefault("opinion", "转办说明")
    kw["payload"] = {"assignee": assignee}
    return kw
