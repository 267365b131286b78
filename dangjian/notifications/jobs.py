"""Delivery jobs on the `notifications` queue: one job per event fans out its e-mails and its robot
message; one job per user sends the 每日汇总. Jobs take ids and reload what they need.

The database is the truth and Redis only carries messages:

* an event to deliver has `delivered_at` empty; each message carries `emailed_at` once it went
  out, and the event `webhook_sent_at`. A job that runs twice (a retry, the sweep) sends only
  what has not gone yet;
* a job that fails (SMTP or a robot down) raises, and RQ runs it again after
  NOTIFY_RETRY_INTERVALS (`flask worker` runs RQ's scheduler);
* `sweep_events` (in `flask ticker`) re-enqueues an event whose job went missing (Redis was down) or
  ran out of retries, for a day.
"""
from __future__ import annotations

import logging
from datetime import datetime, time as dtime, timedelta, timezone

from flask import current_app
from rq import Retry
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import User
from ..models.base import utcnow
from ..queue import JobLog, background_job, enqueue
from ..timeutil import local_zone
from . import mail, texts, webhooks
from .models import Message, NotificationEvent, NotificationSettings, OrgWebhook

log = logging.getLogger(__name__)

DELIVER_TIMEOUT = 600  # seconds: a thousand e-mails over one SMTP connection
GIVE_UP_AFTER = timedelta(days=1)  # the sweep leaves older undelivered events alone


class DeliveryFailed(Exception):
    pass


def _retry() -> Retry | None:
    intervals = list(current_app.config.get("NOTIFY_RETRY_INTERVALS") or [])
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def _stuck_after() -> timedelta:
    """Longer than a job and all its retries may take, so the sweep never races a retry."""
    intervals = current_app.config.get("NOTIFY_RETRY_INTERVALS") or []
    return timedelta(seconds=sum(intervals) + (len(intervals) + 1) * (DELIVER_TIMEOUT + 60))


def enqueue_events(event_ids: list[int], cutoff=None) -> list[int]:
    """Hand delivery jobs to Redis after commit; returns the ids enqueued. Never raises: the
    approval that caused the event stands whatever happens to Redis (the sweep tries again)."""
    enqueued = []
    for event_id in event_ids:
        now = utcnow()
        try:
            with db.engine.begin() as conn:  # own connection: this runs after the caller's commit
                marked = conn.execute(update(NotificationEvent).where(
                    NotificationEvent.id == event_id, NotificationEvent.delivered_at.is_(None),
                    or_(NotificationEvent.enqueued_at.is_(None), NotificationEvent.enqueued_at < (cutoff or now)),
                ).values(enqueued_at=now)).rowcount
            if not marked:
                continue
            try:
                enqueue(deliver_event, event_id, description=f"notify event {event_id}", retry=_retry())
            except Exception:
                with db.engine.begin() as conn:
                    conn.execute(update(NotificationEvent).where(
                        NotificationEvent.id == event_id, NotificationEvent.enqueued_at == now
                    ).values(enqueued_at=None))
                raise
        except Exception as exc:
            log.warning("notification event %s waits for the sweep: %s: %s", event_id, type(exc).__name__, exc)
            continue
        enqueued.append(event_id)
    return enqueued


def _email_recipients(event_id: int):
    """(message id, address) of the event's messages still to e-mail one by one: the recipient is
    active, has an address, wants e-mail, and not as a daily digest."""
    settings = NotificationSettings
    return db.session.execute(
        select(Message.id, User.email)
        .join(User, User.id == Message.recipient_id)
        .outerjoin(settings, settings.user_id == User.id)
        .where(Message.event_id == event_id, Message.emailed_at.is_(None), User.active.is_(True),
               User.email != "", func.coalesce(settings.email_enabled, True).is_(True),
               func.coalesce(settings.daily_digest, False).is_(False))
        .order_by(Message.id)).all()


@background_job(queue="notifications", timeout=DELIVER_TIMEOUT)
def deliver_event(event_id: int) -> str:
    """Send the event's e-mails (one per recipient, over one connection) and its robot message.
    Raises DeliveryFailed when something could not go, so RQ retries the rest."""
    jlog = JobLog(log, {"event": event_id})
    event = db.session.get(NotificationEvent, event_id)
    if event is None or event.delivered_at is not None:
        jlog.info("nothing to deliver")
        return "skipped"
    event.attempts += 1
    db.session.commit()
    failures, sent = [], 0
    if mail.smtp_configured():
        rows = _email_recipients(event_id)
        if rows:
            subject, body = texts.email_subject(event), texts.email_body(event)
            try:
                with mail.smtp_connection() as conn:
                    for message_id, address in rows:
                        try:
                            conn.send_message(mail.build_message(address, subject, body))
                        except mail.PERMANENT as exc:
                            jlog.warning("address %s refused, skipped: %s", address, exc)
                            continue
                        db.session.execute(update(Message).where(Message.id == message_id)
                                           .values(emailed_at=utcnow()))
                        db.session.commit()
                        sent += 1
            except Exception as exc:  # the server is down or broke off: retry the rest
                db.session.rollback()
                failures.append(f"邮件发送失败：{type(exc).__name__}: {exc}")
    if event.webhook_org_id is not None and event.webhook_sent_at is None:
        hook = db.session.scalar(select(OrgWebhook).where(OrgWebhook.organization_id == event.webhook_org_id,
                                                          OrgWebhook.enabled.is_(True)))
        if hook is not None:
            try:
                webhooks.post(hook.provider, hook.url, hook.secret, texts.robot_text(event))
                event.webhook_sent_at = utcnow()
            except webhooks.WebhookError as exc:
                failures.append(str(exc))
    if failures:
        event.error = "；".join(failures)[:2000]
        db.session.commit()
        jlog.warning("sent %d e-mail(s); failed: %s", sent, event.error)
        raise DeliveryFailed(event.error)
    event.delivered_at, event.error = utcnow(), ""
    db.session.commit()
    jlog.info("delivered: %d e-mail(s)%s", sent, ", robot" if event.webhook_sent_at else "")
    return f"sent {sent}"


def sweep_events() -> list[int]:
    """Re-enqueue undelivered events of the last day whose job went missing or gave up."""
    now = utcnow()
    cutoff = now - _stuck_after()
    ids = list(db.session.scalars(select(NotificationEvent.id).where(
        NotificationEvent.delivered_at.is_(None), NotificationEvent.created_at > now - GIVE_UP_AFTER,
        or_(NotificationEvent.enqueued_at.is_(None), NotificationEvent.enqueued_at < cutoff),
    ).order_by(NotificationEvent.id)))
    db.session.commit()
    return enqueue_events(ids, cutoff=cutoff) if ids else []


# --- 每日汇总 -----------------------------------------------------------------------------------

def _digest_due_at(now_utc: datetime) -> datetime | None:
    """Today's digest time (naive UTC), or None before it."""
    zone = local_zone()
    local_now = now_utc.replace(tzinfo=timezone.utc).astimezone(zone)
    hour = current_app.config.get("NOTIFY_DIGEST_HOUR", 8)
    due = datetime.combine(local_now.date(), dtime(hour=hour), tzinfo=zone)
    if local_now < due:
        return None
    return due.astimezone(timezone.utc).replace(tzinfo=None)


def _wants_digest():
    s = NotificationSettings
    return and_(s.daily_digest.is_(True), s.email_enabled.is_(True))


def digest_tick(now: datetime | None = None) -> list[int]:
    """The ticker's part: from the digest hour on, enqueue one digest job per user who wants one
    and has not had today's. Each user is claimed with a conditional UPDATE first, so two tickers
    never both send; if Redis is down, the claim is undone and the next round tries again."""
    if not mail.smtp_configured():
        return []
    now = now or utcnow()
    due = _digest_due_at(now)
    if due is None:
        return []
    s = NotificationSettings
    not_yet = or_(s.last_digest_at.is_(None), s.last_digest_at < due)
    user_ids = list(db.session.scalars(select(s.user_id).where(_wants_digest(), not_yet)))
    db.session.commit()
    enqueued = []
    for user_id in user_ids:
        try:
            with db.engine.begin() as conn:
                previous = conn.scalar(select(s.last_digest_at).where(s.user_id == user_id))
                claimed = conn.execute(update(s).where(s.user_id == user_id, _wants_digest(), not_yet)
                                       .values(last_digest_at=now)).rowcount
            if not claimed:
                continue
            try:
                enqueue(send_digest, user_id, description=f"daily digest for user {user_id}", retry=_retry())
            except Exception:
                with db.engine.begin() as conn:
                    conn.execute(update(s).where(s.user_id == user_id, s.last_digest_at == now)
                                 .values(last_digest_at=previous))
                raise
        except Exception as exc:
            log.warning("digest for user %s waits for the next round: %s: %s", user_id, type(exc).__name__, exc)
            continue
        enqueued.append(user_id)
    return enqueued


@background_job(queue="notifications", timeout=120)
def send_digest(user_id: int) -> str:
    """One e-mail with every message the user has not had by e-mail since the digest was turned
    on; the messages are marked e-mailed. Nothing new: no e-mail."""
    jlog = JobLog(log, {"digest_user": user_id})
    user = db.session.get(User, user_id)
    settings = db.session.get(NotificationSettings, user_id)
    if (user is None or not user.active or not user.email or settings is None
            or not (settings.daily_digest and settings.email_enabled) or not mail.smtp_configured()):
        jlog.info("no digest wanted")
        return "skipped"
    query = select(Message).where(Message.recipient_id == user_id, Message.emailed_at.is_(None))
    if settings.digest_since is not None:
        query = query.where(Message.created_at >= settings.digest_since)
    messages = list(db.session.scalars(query.order_by(Message.id).options(
        selectinload(Message.event).selectinload(NotificationEvent.request))))
    if not messages:
        jlog.info("nothing new")
        return "nothing"
    events = list({m.event_id: m.event for m in messages}.values())
    with mail.smtp_connection() as conn:
        conn.send_message(mail.build_message(user.email, texts.digest_subject(len(messages)),
                                             texts.digest_body(events)))
    db.session.execute(update(Message).where(Message.id.in_([m.id for m in messages]))
                       .values(emailed_at=utcnow()))
    db.session.commit()
    jlog.info("digest of %d message(s) sent", len(messages))
    return f"sent {len(messages)}"
