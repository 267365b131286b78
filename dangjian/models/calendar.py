"""The school calendar and step time limits (issue 8 §8).

* CalendarDay: one row per day that differs from the ordinary week — a 节假日 (法定节假日, or a
  寒暑假 day when 组织部 enters one) on a weekday, or a 调休 working day on a Saturday or Sunday.
  Every other Monday–Friday is a working day, every other Saturday and Sunday is not.
* StepTimeLimit: the time limit of one step of one request type, in working days. No row means
  the default (workdays.DEFAULT_LIMIT).
* OverdueReminder: the reminder sent for an overdue step on one day (once a day: the unique key).
"""
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import EnumText, LabeledEnum, utcnow


class DayKind(LabeledEnum):
    HOLIDAY = "holiday", "放假"
    WORKDAY = "workday", "调休上班"


class CalendarDay(db.Model):
    __tablename__ = "calendar_days"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day = mapped_column(Date, unique=True, nullable=False)
    kind: Mapped[DayKind] = mapped_column(EnumText(DayKind))
    name: Mapped[str] = mapped_column(String(50), default="")  # 国庆节, 春节调休 …
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    created_by = relationship("User")

    def __repr__(self):
        return f"<CalendarDay {self.day} {self.kind.value}>"


class StepTimeLimit(db.Model):
    __tablename__ = "step_time_limits"
    __table_args__ = (UniqueConstraint("request_type", "step", name="uq_step_time_limit"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_type: Mapped[str] = mapped_column(String(32))  # Request.type, e.g. dues_waiver
    step: Mapped[str] = mapped_column(String(32))  # Step.key
    working_days: Mapped[int] = mapped_column(Integer)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at = mapped_column(DateTime, default=utcnow, nullable=False)


class OverdueReminder(db.Model):
    __tablename__ = "overdue_reminders"
    __table_args__ = (UniqueConstraint("request_id", "step", "sent_on", name="uq_overdue_reminder_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    step: Mapped[str] = mapped_column(String(32))
    sent_on = mapped_column(Date, nullable=False)  # the local day
    overdue_days: Mapped[int] = mapped_column(Integer)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
