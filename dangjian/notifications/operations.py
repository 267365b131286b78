"""What the 消息 pages change: read marks, a user's settings, an organization's group robot.
Each validates, writes its audit row and commits; views only parse input and render."""
from __future__ import annotations

from sqlalchemy import func, select, update

from .. import audit
from ..extensions import db
from ..models.base import utcnow
from . import webhooks
from .models import Message, NotificationSettings, OrgWebhook, WebhookProvider


class NotificationError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def unread_count(user) -> int:
    return db.session.scalar(select(func.count(Message.id)).where(
        Message.recipient_id == user.id, Message.read_at.is_(None))) or 0


def own_message_or_none(user, message_id: int) -> Message | None:
    """A message of `user`'s; anybody else's is None (the view answers 404)."""
    return db.session.scalar(select(Message).where(Message.id == message_id, Message.recipient_id == user.id))


def mark_read(user, message: Message) -> bool:
    """Mark one of the user's messages read; False when it already was."""
    changed = db.session.execute(update(Message).where(
        Message.id == message.id, Message.recipient_id == user.id, Message.read_at.is_(None)
    ).values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    db.session.expire(message)
    return bool(changed)


def mark_all_read(user) -> int:
    """Mark every unread message of the user's read; returns how many."""
    changed = db.session.execute(update(Message).where(
        Message.recipient_id == user.id, Message.read_at.is_(None)
    ).values(read_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if changed:
        audit.record("notifications.read_all", user=user, count=changed)
    db.session.commit()
    return changed


def settings_of(user) -> NotificationSettings:
    """The user's settings, or the defaults (e-mail on, no digest) when never saved (not added)."""
    return db.session.get(NotificationSettings, user.id) or NotificationSettings(
        user_id=user.id, email_enabled=True, daily_digest=False)


def save_settings(user, *, email_enabled: bool, daily_digest: bool) -> NotificationSettings:
    settings = db.session.get(NotificationSettings, user.id)
    if settings is None:
        settings = NotificationSettings(user_id=user.id, email_enabled=True, daily_digest=False)
        db.session.add(settings)
    before = (settings.email_enabled, settings.daily_digest)
    if daily_digest and not settings.daily_digest:
        settings.digest_since = utcnow()  # the digest collects what comes from now on
    settings.email_enabled, settings.daily_digest = email_enabled, daily_digest
    if before != (email_enabled, daily_digest):
        audit.record("notifications.settings_changed", user=user, email_enabled=email_enabled,
                     daily_digest=daily_digest)
    db.session.commit()
    return settings


def webhook_of(org_id: int) -> OrgWebhook | None:
    return db.session.scalar(select(OrgWebhook).where(OrgWebhook.organization_id == org_id))


def set_webhook(actor, org, *, provider: str, url: str, secret: str, enabled: bool,
                keep_secret: bool = False) -> OrgWebhook:
    """组织部 sets (or changes) an organization's group robot. An empty secret with `keep_secret`
    keeps the stored one (the form never shows it back). The URL and secret stay out of the audit
    row: they are the robot's keys."""
    try:
        provider_enum = WebhookProvider(provider)
    except ValueError:
        raise NotificationError("请选择群机器人类型", "provider") from None
    url = (url or "").strip()
    problem = webhooks.url_problem(url)
    if problem:
        raise NotificationError(problem, "url")
    secret = (secret or "").strip()
    if len(secret) > 200:
        raise NotificationError("加签密钥不能超过200个字符", "secret")
    hook = webhook_of(org.id)
    created = hook is None
    if created:
        hook = OrgWebhook(organization_id=org.id, provider=provider_enum, url=url, secret="")
        db.session.add(hook)
    if provider_enum is not WebhookProvider.DINGTALK:
        hook.secret = ""  # only 钉钉 signs
    elif secret or not keep_secret:
        hook.secret = secret
    hook.provider, hook.url, hook.enabled, hook.updated_by_id = provider_enum, url, enabled, actor.id
    db.session.flush()
    audit.record("notifications.webhook_set", org, user=actor, organization=org.name,
                 provider=provider_enum.label, enabled=enabled, created=created)
    db.session.commit()
    return hook


def delete_webhook(actor, org) -> bool:
    hook = webhook_of(org.id)
    if hook is None:
        return False
    db.session.delete(hook)
    audit.record("notifications.webhook_deleted", org, user=actor, organization=org.name,
                 provider=hook.provider.label)
    db.session.commit()
    return True
