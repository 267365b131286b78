"""The tables of 巡察/监督检查 (§五3 "定期或不定期开展督促检查，及时发现解决问题").

- `InspectionPlan`: one inspection (巡察, 监督检查 or 专项检查) of a year: title, period, team, and the
  units it covers (`InspectionPlanUnit`).
- `InspectionFinding`: a problem found in one covered unit (text, severity).
- `InspectionTask`: 整改任务 of a finding: the unit that rectifies, what it must do, by when. Its
  state only moves through `tasks.TRANSITIONS` and its StatusMachine `tasks.TASK_STATUS` (a
  conditional UPDATE on `version`), and every move adds a `TaskEvent`: the history is kept, nothing
  is overwritten.
- `InspectionFile`: evidence of closure (整改佐证材料) uploaded with a submission.
- `InspectionReminder`: one reminder sent about a task (reminders.py), under a unique key, so that
  the ticker tells each thing once however often or in how many processes it runs.

A plan is closed (结束) by 纪委 once every task is signed off or withdrawn (`closed_at`); a closed
plan takes no more findings or tasks. Overdue follows deadlines.RULE (calendar days past a date).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..deadlines import days_past
from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow


class PlanKind(LabeledEnum):
    INSPECTION = "inspection", "巡察"
    CHECK = "check", "监督检查"
    SPECIAL = "special", "专项检查"


class Severity(LabeledEnum):
    MINOR = "minor", "一般"
    MAJOR = "major", "较重"
    SERIOUS = "serious", "严重"

    @property
    def css(self) -> str:
        return {"minor": "", "major": "dj-tag-amber", "serious": "dj-tag-red"}[self.value]


class TaskState(LabeledEnum):
    OPEN = "open", "待整改"
    SUBMITTED = "submitted", "待验收"
    RETURNED = "returned", "已退回"
    CLOSED = "closed", "已销号"
    CANCELLED = "cancelled", "已撤销"

    @property
    def css(self) -> str:
        """The app's state badge colours (app.css .dj-state-*)."""
        return {"open": "pending", "submitted": "publicizing", "returned": "returned", "closed": "approved"}.get(
            self.value, "withdrawn")


# Not yet closed: the unit still owes something (or 纪委 still has to check it).
UNFINISHED = (TaskState.OPEN, TaskState.SUBMITTED, TaskState.RETURNED)
# The unit has to act: past the deadline in these states, a task is overdue (逾期未整改).
WITH_UNIT = (TaskState.OPEN, TaskState.RETURNED)


class InspectionPlan(db.Model):
    """巡察/监督检查计划."""

    __tablename__ = "inspection_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[PlanKind] = mapped_column(EnumText(PlanKind))
    title: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    team: Mapped[str] = mapped_column(String(300))  # 组长、成员 (names)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    closed_at = mapped_column(DateTime, nullable=True)  # 结束检查: every task closed or withdrawn
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    close_note: Mapped[str] = mapped_column(Text, default="")

    created_by = relationship("User", foreign_keys=[created_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    units = relationship("InspectionPlanUnit", back_populates="plan", cascade="all, delete-orphan",
                         order_by="InspectionPlanUnit.id")
    findings = relationship("InspectionFinding", back_populates="plan", order_by="InspectionFinding.id")

    @property
    def unit_orgs(self) -> list:
        return [u.organization for u in self.units]

    @property
    def unit_names(self) -> str:
        return "、".join(o.name for o in self.unit_orgs)


class InspectionPlanUnit(db.Model):
    """A unit a plan covers (被巡察/检查单位)."""

    __tablename__ = "inspection_plan_units"
    __table_args__ = (UniqueConstraint("plan_id", "org_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)

    plan = relationship("InspectionPlan", back_populates="units")
    organization = relationship("Organization")


class InspectionFinding(db.Model):
    """发现问题: one problem of one covered unit."""

    __tablename__ = "inspection_findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("inspection_plans.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    severity: Mapped[Severity] = mapped_column(EnumText(Severity))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    plan = relationship("InspectionPlan", back_populates="findings")
    organization = relationship("Organization")
    created_by = relationship("User")
    tasks = relationship("InspectionTask", back_populates="finding", order_by="InspectionTask.id")


class InspectionTask(db.Model):
    """整改任务: what the owner unit must do about a finding, by `deadline`, until 纪委 signs it off."""

    __tablename__ = "inspection_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspection_findings.id"), index=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    requirement: Mapped[str] = mapped_column(Text)  # 整改要求
    deadline: Mapped[date] = mapped_column(Date, index=True)  # 整改期限
    state: Mapped[TaskState] = mapped_column(EnumText(TaskState), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    submitted_at = mapped_column(DateTime, nullable=True)  # the latest submission
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    finding = relationship("InspectionFinding", back_populates="tasks")
    owner = relationship("Organization")
    created_by = relationship("User")
    events = relationship("TaskEvent", back_populates="task", order_by="TaskEvent.id")
    files = relationship("InspectionFile", back_populates="task", order_by="InspectionFile.id")

    def overdue_days(self, today: date) -> int:
        """Calendar days past the deadline while the unit still has to act (0: not overdue;
        deadlines.RULE, the same as 党建考核's 整改任务)."""
        if self.state not in WITH_UNIT:
            return 0
        return days_past(self.deadline, today)


class TaskEvent(db.Model):
    """One step in a task's history: who did what, when, with the note (整改情况, 验收意见, 退回理由)."""

    __tablename__ = "inspection_task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at = mapped_column(DateTime, default=utcnow, nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    # 延长整改期限: the deadline before and after (None for every other step).
    old_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    new_deadline: Mapped[date | None] = mapped_column(Date, nullable=True)

    task = relationship("InspectionTask", back_populates="events")
    actor = relationship("User")
    files = relationship("InspectionFile", back_populates="event", order_by="InspectionFile.id")


class InspectionFile(db.Model):
    """整改佐证材料: a file uploaded with a submission (checked and stored by uploads.py)."""

    __tablename__ = "inspection_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("inspection_task_events.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    storage_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    task = relationship("InspectionTask", back_populates="files")
    event = relationship("TaskEvent", back_populates="files")

    @property
    def previewable(self) -> bool:
        from ..uploads import INLINE_TYPES
        return self.content_type in INLINE_TYPES


class InspectionReminder(db.Model):
    """A reminder sent about a task: `key` names what was told (e.g. "overdue:2026-05-01:0" — the
    deadline and the week since), unique per task, written in the transaction of the message."""

    __tablename__ = "inspection_reminders"
    __table_args__ = (UniqueConstraint("task_id", "key", name="uq_inspection_reminders_task_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("inspection_tasks.id"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_at = mapped_column(DateTime, default=utcnow, nullable=False)
