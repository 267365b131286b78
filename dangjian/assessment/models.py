"""党建考核 (§三(一)1): "不断健全二级单位党组织抓基层党建考核评议制度 … 评价为“一般”以下的，要进行约谈、
限期整改".

* AssessmentCycle: one year's assessment, opened by 组织部, with the deadline for self-evaluations.
* Assessment: one organization (a secondary unit or a branch) in a cycle. Its state moves
  待自评 → 已提交自评 (→ 退回修改 → 已提交自评) → 已评定, or, graded 一般 or 差, → 整改中 → 已整改.
* Interview (约谈) and RectificationTask (整改任务: 整改中 → 待验收 → 已销号, or back to 整改中) belong
  to an assessment in 整改中.
* AssessmentFile: the self-evaluation's files and each task's evidence.
* AssessmentEvent: the assessment's history (who did what, when, with what reason).

The grade of a branch is also the allowance's "经考核合格" (request_types/secretary_allowance).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..deadlines import days_past
from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow
from ..timeutil import local_today
from .grades import AssessmentGrade


class AssessmentState(LabeledEnum):
    PENDING = "pending", "待自评"
    SUBMITTED = "submitted", "已提交自评"
    RETURNED = "returned", "退回修改"
    GRADED = "graded", "已评定"
    RECTIFYING = "rectifying", "整改中"
    RECTIFIED = "rectified", "已整改"

    @property
    def css(self) -> str:
        return {"pending": "dj-state-pending", "submitted": "dj-state-pending", "returned": "dj-state-returned",
                "graded": "dj-state-completed", "rectifying": "dj-state-returned",
                "rectified": "dj-state-completed"}[self.value]


#: The states in which an assessment carries its grade.
GRADED_STATES = (AssessmentState.GRADED, AssessmentState.RECTIFYING, AssessmentState.RECTIFIED)


class TaskState(LabeledEnum):
    OPEN = "open", "整改中"
    SUBMITTED = "submitted", "待验收"
    CLOSED = "closed", "已销号"

    @property
    def css(self) -> str:
        return {"open": "dj-state-returned", "submitted": "dj-state-pending", "closed": "dj-state-completed"}[self.value]


class AssessmentCycle(db.Model):
    """一年度的党建考核: one per year."""

    __tablename__ = "assessment_cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    name: Mapped[str] = mapped_column(String(100))
    deadline: Mapped[date] = mapped_column(Date)  # 自评截止日期 (inclusive, local)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    created_by = relationship("User")
    assessments = relationship("Assessment", back_populates="cycle")

    def deadline_passed(self, today: date | None = None) -> bool:
        return (today or local_today()) > self.deadline


class Assessment(db.Model):
    """One organization's assessment in one cycle."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("cycle_id", "organization_id", name="uq_assessments_cycle_org"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("assessment_cycles.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    # The year again (the cycle's), so "the grade of a branch in a year" is one indexed lookup.
    year: Mapped[int] = mapped_column(Integer, index=True)
    state: Mapped[AssessmentState] = mapped_column(EnumText(AssessmentState), default=AssessmentState.PENDING,
                                                   index=True)
    # 自评: the report and the unit's own score (optional), as last submitted.
    self_report: Mapped[str] = mapped_column(Text, default="")
    self_score = mapped_column(Numeric(4, 1), nullable=True)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    submitted_at = mapped_column(DateTime, nullable=True)
    # 评定
    score = mapped_column(Numeric(4, 1), nullable=True)
    grade: Mapped[AssessmentGrade | None] = mapped_column(EnumText(AssessmentGrade), nullable=True, index=True)
    grade_opinion: Mapped[str] = mapped_column(Text, default="")  # 评定意见 (the reason for a lower grade)
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    graded_at = mapped_column(DateTime, nullable=True)
    rectified_at = mapped_column(DateTime, nullable=True)
    # Rows carried over from the allowance's former 党支部年度考核 say so here (and the old grade).
    note: Mapped[str] = mapped_column(String(200), default="")

    cycle = relationship("AssessmentCycle", back_populates="assessments")
    organization = relationship("Organization")
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    graded_by = relationship("User", foreign_keys=[graded_by_id])
    files = relationship("AssessmentFile", primaryjoin="and_(AssessmentFile.assessment_id == Assessment.id, "
                         "AssessmentFile.task_id.is_(None))", order_by="AssessmentFile.id", viewonly=True)
    interviews = relationship("Interview", back_populates="assessment", order_by="Interview.held_on")
    tasks = relationship("RectificationTask", back_populates="assessment", order_by="RectificationTask.id")
    events = relationship("AssessmentEvent", back_populates="assessment", order_by="AssessmentEvent.id")

    @property
    def title(self) -> str:
        return f"{self.organization.name}{self.year}年度党建考核"

    @property
    def is_graded(self) -> bool:
        return self.state in GRADED_STATES

    @property
    def open_tasks(self) -> list["RectificationTask"]:
        return [t for t in self.tasks if t.state is not TaskState.CLOSED]


class Interview(db.Model):
    """约谈: who talked with whom, when and where, and what was said."""

    __tablename__ = "assessment_interviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    held_on: Mapped[date] = mapped_column(Date)
    place: Mapped[str] = mapped_column(String(100), default="")
    interviewers: Mapped[str] = mapped_column(String(200))  # 约谈人
    interviewees: Mapped[str] = mapped_column(String(200))  # 被约谈人
    notes: Mapped[str] = mapped_column(Text)  # 约谈情况
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at = mapped_column(DateTime, default=utcnow, nullable=False)

    assessment = relationship("Assessment", back_populates="interviews")
    recorded_by = relationship("User")


class RectificationTask(db.Model):
    """整改任务: a problem to put right by a deadline, the unit's evidence, and 组织部's sign-off."""

    __tablename__ = "rectification_tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    problem: Mapped[str] = mapped_column(Text)  # 存在问题
    requirement: Mapped[str] = mapped_column(Text, default="")  # 整改要求
    deadline: Mapped[date] = mapped_column(Date, index=True)  # 整改期限 (inclusive)
    state: Mapped[TaskState] = mapped_column(EnumText(TaskState), default=TaskState.OPEN, index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    evidence: Mapped[str] = mapped_column(Text, default="")  # 整改情况 (as last submitted)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    submitted_at = mapped_column(DateTime, nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    closed_at = mapped_column(DateTime, nullable=True)
    reminded_on: Mapped[date | None] = mapped_column(Date, nullable=True)  # last overdue reminder (local)

    assessment = relationship("Assessment", back_populates="tasks")
    created_by = relationship("User", foreign_keys=[created_by_id])
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    closed_by = relationship("User", foreign_keys=[closed_by_id])
    files = relationship("AssessmentFile", order_by="AssessmentFile.id", viewonly=True)

    def overdue(self, today: date | None = None) -> bool:
        """Past its deadline and not handed in (待验收 waits on 组织部, not on the unit)."""
        return self.state is TaskState.OPEN and (today or local_today()) > self.deadline

    def days_overdue(self, today: date | None = None) -> int:
        """Calendar days past the deadline (deadlines.RULE, the same as 巡察's 整改任务)."""
        return days_past(self.deadline, today or local_today())


class AssessmentFile(db.Model):
    """A file of a self-evaluation (task_id None) or of a task's evidence, stored as uploads are."""

    __tablename__ = "assessment_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_tasks.id"), nullable=True, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    storage_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    @property
    def previewable(self) -> bool:
        from ..uploads import INLINE_TYPES
        return self.content_type in INLINE_TYPES


class AssessmentEvent(db.Model):
    """One line of an assessment's history (its tasks' too): what was done, by whom, with what note."""

    __tablename__ = "assessment_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("assessments.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_tasks.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    assessment = relationship("Assessment", back_populates="events")
    actor = relationship("User")
