"""谈心谈话 (§三(二)1): talk records, the 联系点 that tie a leader to branches and members, and the
reminders sent (once per person and period).

"校级党员领导干部每年至少同分管中层干部或党支部书记谈心一次；党支部书记每学期至少与本支部每一名党员
谈心一次；新党员入职和老党员退休，所在党组织负责人都要与其谈心一次。要做到“四必谈”…谈话形式既可以
单独谈心，也可以集体谈话。"
"""
from __future__ import annotations

from sqlalchemy import (CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow


class TalkKind(LabeledEnum):
    """Why the talk was held: routine, an occasion, or one of the 四必谈."""

    ROUTINE = "routine", "日常谈心"
    JOINING = "joining", "入党"
    FULL_MEMBER = "full_member", "转正"
    RETIREMENT = "retirement", "退休"
    ABROAD = "abroad", "出国（境）"
    THINKING = "thinking", "思想波动"
    JOB_CHANGE = "job_change", "工作变动"
    HARDSHIP = "hardship", "生活困难"
    DISCIPLINE = "discipline", "受到处分"

    @property
    def group(self) -> str:
        if self is TalkKind.ROUTINE:
            return "经常性谈心"
        if self in OCCASIONS:
            return "特定时机"
        return "四必谈"

    @property
    def full_label(self) -> str:
        return self.label if self is TalkKind.ROUTINE else f"{self.group}·{self.label}"


OCCASIONS = (TalkKind.JOINING, TalkKind.FULL_MEMBER, TalkKind.RETIREMENT, TalkKind.ABROAD)
MUST_TALKS = (TalkKind.THINKING, TalkKind.JOB_CHANGE, TalkKind.HARDSHIP, TalkKind.DISCIPLINE)


class TalkState(LabeledEnum):
    RECORDED = "recorded", "已记录"
    VOIDED = "voided", "已作废"


class Talk(db.Model):
    """One talk: who held it (in the name of which organization: their branch as its secretary, or
    their secondary unit or the school as a leader), with whom, when, where, why, and what was said.

    The content and the reason are private (access.can_read_content): the holder, their upper level
    and 纪委. Everyone else who may see the record sees the date, the participants and the kind.
    A wrong record is voided with a reason (never deleted); a voided talk counts for nothing."""

    __tablename__ = "talks"
    __table_args__ = (Index("ix_talks_org_held_on", "organization_id", "held_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    held_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    held_on = mapped_column(Date, nullable=False)
    place: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[TalkKind] = mapped_column(EnumText(TalkKind))
    reason: Mapped[str] = mapped_column(String(200), default="")  # 事由 (private, like the content)
    content: Mapped[str] = mapped_column(Text, default="")  # 谈话内容 (private)
    state: Mapped[TalkState] = mapped_column(EnumText(TalkState), default=TalkState.RECORDED)
    void_reason: Mapped[str] = mapped_column(String(200), default="")
    voided_at = mapped_column(DateTime, nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    organization = relationship("Organization")
    held_by = relationship("User")
    participants = relationship("TalkParticipant", back_populates="talk", cascade="all, delete-orphan",
                                order_by="TalkParticipant.id")

    @property
    def is_group(self) -> bool:
        """集体谈话: more than one member at once."""
        return len(self.participants) > 1

    @property
    def form_label(self) -> str:
        return "集体谈话" if self.is_group else "个别谈心"

    @property
    def participant_names(self) -> str:
        return "、".join(p.member.name for p in self.participants)


class TalkParticipant(db.Model):
    """A member who took part in a talk, with the branch they belonged to then (compliance counts a
    member in the branch they were in when the talk was held)."""

    __tablename__ = "talk_participants"
    __table_args__ = (UniqueConstraint("talk_id", "member_id", name="uq_talk_participant"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talks.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))

    talk = relationship("Talk", back_populates="participants")
    member = relationship("Member")


class TalkLink(db.Model):
    """联系点: a committee leader (校党委 or 二级党组织) linked to a branch — they talk with its
    secretaries each year — or to one member (a 中层干部 they oversee). Kept by 组织部; ending a link
    sets its end date (the history stays)."""

    __tablename__ = "talk_links"
    __table_args__ = (
        CheckConstraint("(branch_id IS NULL) <> (member_id IS NULL)", name="ck_talk_link_one_target"),
        Index("ix_talk_links_leader", "leader_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    branch_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True, index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True, index=True)
    starts_on = mapped_column(Date, nullable=False)
    ends_on = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    leader = relationship("User", foreign_keys=[leader_id])
    branch = relationship("Organization")
    member = relationship("Member")

    @property
    def target_label(self) -> str:
        if self.branch is not None:
            return f"{self.branch.name}（支部书记）"
        return f"{self.member.name}（{self.member.branch.name}）"

    def active_in(self, start, end) -> bool:
        return self.starts_on <= end and (self.ends_on is None or self.ends_on >= start)


class TalkReminder(db.Model):
    """A 谈心谈话 reminder sent to one person for one duty and period ("secretary:2026-spring:42",
    "leader:2026"): the unique key makes it once per period, whatever the ticker does."""

    __tablename__ = "talk_reminders"
    __table_args__ = (UniqueConstraint("user_id", "period", name="uq_talk_reminder"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    period: Mapped[str] = mapped_column(String(64))
    due_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_at = mapped_column(DateTime, default=utcnow, nullable=False)
