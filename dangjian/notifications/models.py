"""The notifications' tables: events, in-app messages (消息), per-user settings and the
organizations' group-robot webhooks (群机器人)."""
from __future__ import annotations

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow
from ..personal_data import Encrypted


class NotificationEvent(db.Model):
    """One event (a new 待办, a return, a comment …) told to one or more people.

    The row and its messages are written in the transaction that caused the event; one RQ job per
    event sends the e-mails and the robot message after commit. The database is the truth:
    `delivered_at` stays empty until the job has done everything, and the sweep re-enqueues an
    event whose job went missing (Redis down)."""

    __tablename__ = "notification_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    # The request the event is about; None for a notice about something else (a 谈心谈话 due …),
    # which then carries its own subject and link (events.record_notice).
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True, nullable=True)
    subject: Mapped[str] = mapped_column(String(100), default="", server_default="")
    link: Mapped[str] = mapped_column(String(255), default="", server_default="")  # a path in the app
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # The step the event is about, as its label at the time (e-mails and robots say it).
    step_label: Mapped[str] = mapped_column(String(64), default="")
    # The organization whose group robot is told (None: no robot message for this event).
    webhook_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    enqueued_at = mapped_column(DateTime, nullable=True)
    webhook_sent_at = mapped_column(DateTime, nullable=True)
    delivered_at = mapped_column(DateTime, nullable=True, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    error: Mapped[str] = mapped_column(Text, default="")

    request = relationship("Request")


class Message(db.Model):
    """消息: one recipient's copy of an event, shown in the 消息 centre, with its own read and
    e-mailed marks."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_recipient", "recipient_id", "id"),
        Index("ix_messages_recipient_unread", "recipient_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    event_id: Mapped[int] = mapped_column(ForeignKey("notification_events.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    link: Mapped[str] = mapped_column(String(255), default="", server_default="")  # notices: where it leads
    text: Mapped[str] = mapped_column(String(300))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at = mapped_column(DateTime, nullable=True)
    # When it went out by e-mail (alone, or in a 每日汇总); None: not (yet) e-mailed.
    emailed_at = mapped_column(DateTime, nullable=True)

    request = relationship("Request")
    event = relationship("NotificationEvent")


class NotificationSettings(db.Model):
    """A user's choices (消息设置). No row: the defaults, e-mail on and no digest."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    email_enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    # The digest collects the messages not e-mailed since it was turned on.
    digest_since = mapped_column(DateTime, nullable=True)
    last_digest_at = mapped_column(DateTime, nullable=True)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class WebhookProvider(LabeledEnum):
    WECOM = "wecom", "企业微信群机器人"
    DINGTALK = "dingtalk", "钉钉群机器人"


class OrgWebhook(db.Model):
    """A group robot (企业微信 or 钉钉) of an organization, set by 组织部. The URL carries the robot's
    key and the 钉钉 加签 secret signs each message: both are encrypted at rest."""

    __tablename__ = "org_webhooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), unique=True)
    provider: Mapped[WebhookProvider] = mapped_column(EnumText(WebhookProvider))
    url: Mapped[str] = mapped_column(Encrypted())
    secret: Mapped[str] = mapped_column(Encrypted(), default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    organization = relationship("Organization")

    @property
    def url_masked(self) -> str:
        """The host and the last 4 characters: enough to recognise, not enough to post."""
        from urllib.parse import urlsplit

        host = urlsplit(self.url).netloc
        return f"{host}/…{self.url[-4:]}" if self.url else ""
