"""Events → messages: who is told what, written in the caller's transaction.

`record_event` writes one event row and all its messages with one bulk INSERT, and schedules ONE
delivery job after commit (the job fans out the e-mails and the robot message). So an event told
to a thousand people costs the approval the same handful of SQL statements as one told to one.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import insert, select

from ..after_commit import on_commit
from ..extensions import db
from ..models import RequestState
from ..models.base import utcnow
from . import recipients, texts
from .models import Message, NotificationEvent, OrgWebhook

KINDS = ("todo", "returned", "approved", "rejected", "completed", "cc", "urge", "comment", "overdue",
         "abandoned")
# Notices about something other than a request (record_notice): they carry a subject, a text and a
# link of their own.
NOTICE_KINDS = ("talk_due", "assessment", "rectify_overdue", "care_review_due", "openness", "inspection_task")

# Which organization's group robot hears of an event: the one whose people must act now, or the
# one the request comes from. 抄送, 评论 and 撤销申请 are for the people named, not for a group; a step
# passed is told to the applicant alone (the group hears of the new 待办 and of the outcome).
_ROBOT_AT_STEP = {"todo", "urge", "overdue"}
_ROBOT_AT_ORIGIN = {"returned", "rejected", "completed"}

_ENDED_BADLY = {RequestState.REJECTED, RequestState.REVOKED, RequestState.CANCELLED}
_ENDED_WELL = {RequestState.APPROVED, RequestState.COMPLETED, RequestState.AWARDED}


def record_event(kind: str, req, user_ids, *, actor=None, step_label: str | None = None,
                 webhook_org_id: int | None = -1, **data) -> NotificationEvent | None:
    """Tell `user_ids` about `kind` on `req`. The actor is never told of their own action. Returns
    the event, or None when nobody (no person, no robot) is to be told. Of `data`, only
    `state_label` and `from_step_label` shape the text; anything else (an opinion …) is ignored:
    free text is never copied into a message."""
    text_args = {k: data[k] for k in ("state_label", "from_step_label") if data.get(k)}
    if kind not in KINDS:
        raise ValueError(f"unknown notification kind: {kind}")
    ids = sorted({int(i) for i in user_ids} - {getattr(actor, "id", None)})
    if step_label is None:
        step_label = req.current_step_label if req.current_step else ""
    if webhook_org_id == -1:
        webhook_org_id = (req.current_org_id if kind in _ROBOT_AT_STEP
                          else req.organization_id if kind in _ROBOT_AT_ORIGIN else None)
    if webhook_org_id is not None and not _robot_configured(webhook_org_id):
        webhook_org_id = None
    if not ids and webhook_org_id is None:
        return None
    now = utcnow()
    deliver = webhook_org_id is not None or bool(ids and current_app.config.get("SMTP_HOST"))
    event = NotificationEvent(kind=kind, request_id=req.id, actor_id=getattr(actor, "id", None),
                              step_label=step_label[:64], webhook_org_id=webhook_org_id, created_at=now,
                              delivered_at=None if deliver else now)
    db.session.add(event)
    db.session.flush()
    if ids:
        text = texts.message_text(kind, req, actor=actor, step_label=step_label, **text_args)[:300]
        db.session.execute(insert(Message), [
            {"recipient_id": uid, "event_id": event.id, "kind": kind, "request_id": req.id,
             "text": text, "created_at": now} for uid in ids])
    if deliver:
        from .jobs import enqueue_events
        on_commit(db.session, enqueue_events, [event.id])
    return event


def record_notice(kind: str, user_ids, *, subject: str, text: str, link: str, actor=None) -> NotificationEvent | None:
    """Tell `user_ids` about something that is not a request (a 谈心谈话 falling due …): one event
    with its own `subject` (the e-mail's subject line), `text` (the 消息 line, also the e-mail's
    body) and `link` (a path in the app, e.g. /talks/compliance). The text must be fit for an
    e-mail: counts and dates, never a name or private details. No group robot hears of it.
    Delivery (e-mail, 每日汇总) follows each recipient's 消息设置, as for requests."""
    if kind not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind: {kind}")
    if not link.startswith("/") or link.startswith("//"):
        raise ValueError("a notice links to a path in the app")
    ids = sorted({int(i) for i in user_ids} - {getattr(actor, "id", None)})
    if not ids:
        return None
    now = utcnow()
    deliver = bool(current_app.config.get("SMTP_HOST"))
    event = NotificationEvent(kind=kind, request_id=None, subject=subject[:100], link=link[:255],
                              actor_id=getattr(actor, "id", None), step_label="", webhook_org_id=None,
                              created_at=now, delivered_at=None if deliver else now)
    db.session.add(event)
    db.session.flush()
    db.session.execute(insert(Message), [
        {"recipient_id": uid, "event_id": event.id, "kind": kind, "request_id": None, "link": link[:255],
         "text": text[:300], "created_at": now} for uid in ids])
    if deliver:
        from .jobs import enqueue_events
        on_commit(db.session, enqueue_events, [event.id])
    return event


def _robot_configured(org_id: int) -> bool:
    return db.session.scalar(select(OrgWebhook.id).where(
        OrgWebhook.organization_id == org_id, OrgWebhook.enabled.is_(True))) is not None


def request_moved(req, user, action, from_state, from_step, to_state, to_step, to_org_id, holders=None) -> None:
    """What a state change tells whom (called by the engine inside its transaction; `req` still
    holds the old state, so the new one comes as arguments):

    * the request entered a step → 待办 for that step's holders (回避 applied), or for `holders`
      when the engine gives them (workflow.routing: a fallback's holders, an assignee, deputies);
    * 退回修改 to the initiator → returned; 不同意 (or 撤销推荐, 取消) → rejected; approved, completed or
      awarded → completed; a step passed → approved: to the initiator and the beneficiary's account;
    * 撤销申请 by the initiator → abandoned: to everyone who took part (the approvers who handled it,
      commenters, the beneficiary's account), since nothing more will come of it.
    """
    from ..workflow.definition import Action

    wf = type(req).workflow
    to_label = wf.step(to_step).label if to_step else ""
    from_label = wf.step(from_step).label if from_step else ""
    if to_state is RequestState.PENDING and to_step and (to_state, to_step) != (from_state, from_step):
        if holders is None:
            holders = recipients.step_holders(req, wf.step(to_step).role.value, to_org_id)
        record_event("todo", req, [h if isinstance(h, int) else h.id for h in holders], actor=user,
                     step_label=to_label, webhook_org_id=to_org_id)
    if action is Action.ABANDON:
        record_event("abandoned", req, recipients.participants(req), actor=user, webhook_org_id=None)
        return
    if to_state is RequestState.RETURNED and action is Action.RETURN:
        kind = "returned"
    elif to_state in _ENDED_BADLY and to_state is not from_state:
        kind = "rejected"
    elif to_state in _ENDED_WELL and to_state is not from_state:
        kind = "completed"
    elif action is Action.APPROVE or (action is Action.PUBLISH and to_state is not from_state):
        kind = "approved"
    else:
        return
    record_event(kind, req, recipients.applicants(req), actor=user,
                 step_label=to_label if to_state is RequestState.PENDING else "",
                 from_step_label=from_label, state_label=to_state.label)


def comment_added(req, user) -> None:
    """评论 → the people taking part in the request (see recipients.participants)."""
    record_event("comment", req, recipients.participants(req), actor=user)
