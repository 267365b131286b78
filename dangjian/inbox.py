"""Inbox queries: 待办 (mine to act on now), 已办 (I acted), 我发起的 (I started, or for me),
抄送我的 (copied to me, workflow.cc).

Each returns a SELECT with its eager loads, so a page costs the same number of queries for 5 rows
as for 50.
"""
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import defer, joinedload, lazyload

from .extensions import db
from .models import Member, Request, RequestCopy, RequestState, TimelineEntry, User
from .workflow import Action, routing

# 已办 lists what the user handled: every action except the initiator's own submit, withdraw and
# 撤销申请, comments (评论: a remark, not a decision) and urges (催办: a reminder).
NOT_HANDLING = (Action.SUBMIT.value, Action.WITHDRAW.value, Action.ABANDON.value, Action.COMMENT.value,
                Action.URGE.value)

# A list shows the initiator's name and the beneficiary's: their role assignments and the
# beneficiary's encrypted columns (身份证号, 电话: a Fernet decryption each) stay in the database.
_LOADS = (
    joinedload(Request.organization),
    joinedload(Request.beneficiary).options(defer(Member.id_number), defer(Member.phone)),
    joinedload(Request.initiator).options(lazyload(User.role_assignments)),
    joinedload(Request.current_org),
)


# Request types whose requests benefit several people (an allowance batch pays several secretaries)
# register callables (user) -> a condition on Request that is true where `user` must recuse, so
# 待办 leaves those out as it leaves out the initiator's and the beneficiary's own requests.
CONFLICTS: list = []


def todo_condition(user: User):
    """待办: the SQL twin of the engine's rule of who acts on a step, in person or as a deputy
    (workflow.routing: one rule for both)."""
    return routing.todo_condition(user)


def todo(user: User):
    return (select(Request).where(todo_condition(user))
            .order_by(Request.step_entered_at, Request.id).options(*_LOADS))


def todo_count(user: User) -> int:
    return db.session.scalar(select(func.count(Request.id)).where(todo_condition(user))) or 0


def done(user: User):
    acted = (select(TimelineEntry.request_id, func.max(TimelineEntry.created_at).label("acted_at"))
             .where(TimelineEntry.actor_id == user.id, TimelineEntry.action.notin_(NOT_HANDLING))
             .group_by(TimelineEntry.request_id).subquery())
    return (select(Request).join(acted, acted.c.request_id == Request.id)
            .order_by(acted.c.acted_at.desc(), Request.id.desc()).options(*_LOADS))


def last_handled(user: User, request_ids: list[int]) -> dict[int, TimelineEntry]:
    """已办's 「我的处理」: the user's latest handling entry on each listed request (同意, 退回修改,
    取回 …), in one query for the whole page."""
    if not request_ids:
        return {}
    latest = (select(func.max(TimelineEntry.id))
              .where(TimelineEntry.actor_id == user.id, TimelineEntry.request_id.in_(request_ids),
                     TimelineEntry.action.notin_(NOT_HANDLING))
              .group_by(TimelineEntry.request_id))
    return {e.request_id: e for e in db.session.scalars(select(TimelineEntry).where(TimelineEntry.id.in_(latest)))}


def mine(user: User):
    cond = Request.initiator_id == user.id
    if user.member_id is not None:
        # A draft is its initiator's alone until submitted (see scope.visible_requests).
        cond = or_(cond, and_(Request.beneficiary_id == user.member_id, Request.state != RequestState.DRAFT))
    return select(Request).where(cond).order_by(Request.created_at.desc(), Request.id.desc()).options(*_LOADS)


def copied(user: User):
    """抄送我的: the latest copy first."""
    cc = (select(RequestCopy.request_id, RequestCopy.created_at.label("copied_at"))
          .where(RequestCopy.user_id == user.id).subquery())
    return (select(Request).join(cc, cc.c.request_id == Request.id)
            .order_by(cc.c.copied_at.desc(), Request.id.desc()).options(*_LOADS))


TABS = {"todo": ("待办", todo), "done": ("已办", done), "mine": ("我发起的", mine), "cc": ("抄送我的", copied)}
