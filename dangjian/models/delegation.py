"""委托代理: a role holder names a deputy for a date range (出差, 休假) — issue 8 §5.

One row per delegated role assignment. While it is in effect, the deputy may act on the steps
that assignment lets the holder act on, 「代为处理」: the timeline, the audit row and the PDF record
both names. The rule of who may act, and as whom, lives in `dangjian.workflow.routing`.
"""
from datetime import date

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, and_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..timeutil import local_today
from .base import utcnow


class Delegation(db.Model):
    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role_assignment_id: Mapped[int] = mapped_column(ForeignKey("role_assignments.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)  # inclusive
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    # Ended before ends_on by the holder (提前结束), or cancelled before it began.
    ended_at = mapped_column(DateTime, nullable=True)

    delegator = relationship("User", foreign_keys=[delegator_id])
    deputy = relationship("User", foreign_keys=[deputy_id])
    role_assignment = relationship("RoleAssignment")

    STATUS_LABELS = {"upcoming": "未开始", "active": "生效中", "expired": "已到期", "ended": "已提前结束"}

    def in_effect_on(self, day: date) -> bool:
        return self.ended_at is None and self.starts_on <= day <= self.ends_on

    @classmethod
    def in_effect(cls, day: date | None = None):
        """A SQL condition: the delegation covers `day` (today by default) and was not ended."""
        day = day or local_today()
        return and_(cls.ended_at.is_(None), cls.starts_on <= day, cls.ends_on >= day)

    @property
    def status(self) -> str:
        today = local_today()
        if self.ended_at is not None:
            return "ended"
        if today < self.starts_on:
            return "upcoming"
        return "expired" if today > self.ends_on else "active"

    @property
    def status_label(self) -> str:
        return self.STATUS_LABELS[self.status]

    @property
    def can_end(self) -> bool:
        return self.status in ("upcoming", "active")
