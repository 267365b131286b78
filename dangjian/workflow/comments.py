"""评论: a remark on a request by anyone who can see it.

A comment is not a decision and changes no state, so it does not go through `apply_action` and
does not bump `version`: an approver whose form was loaded before someone commented still
decides without being told 「已被处理」. It is a timeline row (action 「评论」) and an audit row;
`history.step_outcomes` and the 审批表's opinion boxes leave it out, and neither 撤回 nor 取回
counts it as someone having acted on a step.
"""
from __future__ import annotations

from sqlalchemy import select

from .. import audit, notifications
from ..extensions import db
from ..models import Request, RequestState, TimelineEntry, User
from ..models.base import utcnow
from .definition import Action
from .engine import WorkflowError

MAX_LENGTH = 500


def comment_refusal(req: Request, user: User) -> str | None:
    """Why `user` may not comment on `req`, or None. Scope is the request page's own rule."""
    from ..scope import visible_requests

    if req.state is RequestState.DRAFT:
        return "草稿尚未提交，不能评论"
    visible = db.session.scalar(select(Request.id).where(Request.id == req.id, visible_requests(user)))
    if visible is None:
        return "您无权查看该申请，不能评论"
    return None


def add_comment(req: Request, user: User, text: str) -> TimelineEntry:
    """Add a comment, or raise WorkflowError (field "comment") with a message for the user."""
    text = (text or "").strip()
    if not text:
        raise WorkflowError("请填写评论内容", field="comment")
    if len(text) > MAX_LENGTH:
        raise WorkflowError(f"评论不能超过{MAX_LENGTH}字（现为{len(text)}字）", field="comment")
    reason = comment_refusal(req, user)
    if reason:
        raise WorkflowError(reason)
    role, org_id = _shown_as(req, user)
    entry = TimelineEntry(
        request_id=req.id, actor_id=user.id, actor_role=role, actor_org_id=org_id,
        action=Action.COMMENT.value, step=req.current_step, opinion=text, created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    audit.record("request.comment", req, user=user, number=req.number, entry_id=entry.id,
                 state=req.state.value, step=req.current_step, length=len(text))
    notifications.comment_added(req, user)
    db.session.commit()
    db.session.expire(req)
    return entry


def _shown_as(req: Request, user: User) -> tuple[str, int | None]:
    """The role and organization a comment is shown under: the current step's role when the
    commenter holds it; 发起人 for the initiator; else a role the commenter reads through (纪委,
    组织部 …); else 当事人 (the beneficiary)."""
    roles = user.roles
    for ra in roles:
        if ra.role.value == req.current_role and ra.organization_id == req.current_org_id:
            return ra.role.value, ra.organization_id
    if req.initiator_id == user.id:
        return "applicant", req.organization_id
    if roles:
        return roles[0].role.value, roles[0].organization_id
    return "beneficiary", None
