"""The tables of 困难党员台账 (§三(三)1) and 走访慰问 (§三(二)2).

- `RegistryEntry`: one member in the registry, from the branch's proposal to its close. Its state
  only moves through `registry.TRANSITIONS` and its StatusMachine `registry.ENTRY_STATUS` (a
  conditional UPDATE on `version`), and every move adds a `RegistryEvent`: the history is kept,
  nothing is overwritten (a resubmitted situation, a review, a close reason are each their own row).
- `Visit`: a 走访慰问 record. No money: it may point to the 慰问金 request that paid, if any.
- `CareFile`: a supporting file of an entry, or a photo of a visit (checked and stored by uploads.py).

The members' three hardship booleans (`Member.living_difficulty` …) are derived from the confirmed
entry (registry.sync_member_flags): the registry is the source.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow


class HardshipCategory(LabeledEnum):
    """困难类别: "生活困难、独居、老弱病残等困难党员" (§三(三)1), and the usual causes beside them."""

    LIVING = "living", "生活困难"
    ALONE = "alone", "独居"
    FRAIL = "frail", "老弱病残"
    ILLNESS = "illness", "因病致困"
    DISASTER = "disaster", "因灾致困"
    OTHER = "other", "其他"


class EntryState(LabeledEnum):
    PROPOSED = "proposed", "待确认"
    RETURNED = "returned", "已退回"
    CONFIRMED = "confirmed", "在册"
    CLOSED = "closed", "已销号"
    WITHDRAWN = "withdrawn", "已撤回"

    @property
    def css(self) -> str:
        """The app's state badge colours (app.css .dj-state-*)."""
        return {"proposed": "pending", "returned": "returned", "confirmed": "approved"}.get(self.value, "withdrawn")


# A member has at most one entry in these states (a partial unique index below says so too).
OPEN_STATES = (EntryState.PROPOSED, EntryState.RETURNED, EntryState.CONFIRMED)


def categories_of(codes: str | None) -> list[HardshipCategory]:
    return [HardshipCategory(c) for c in (codes or "").split(",") if c]


class RegistryEntry(db.Model):
    """困难党员台账: one member's entry."""

    __tablename__ = "care_registry_entries"
    __table_args__ = (
        Index("uq_care_entry_open_member", "member_id", unique=True,
              sqlite_where=text("state IN ('proposed', 'returned', 'confirmed')"),
              postgresql_where=text("state IN ('proposed', 'returned', 'confirmed')")),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    state: Mapped[EntryState] = mapped_column(EnumText(EntryState), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)
    categories: Mapped[str] = mapped_column(String(100))  # HardshipCategory codes, comma-separated
    situation: Mapped[str] = mapped_column(Text)  # 困难情况 (private: see access.may_see_private)
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    proposed_at = mapped_column(DateTime, default=utcnow, nullable=False)
    confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    confirmed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    review_due_on: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)  # 每年复核
    # The review date an overdue reminder was sent for (reminders.py): once per entry and review period.
    review_reminded_for: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    member = relationship("Member")
    proposed_by = relationship("User", foreign_keys=[proposed_by_id])
    confirmed_by = relationship("User", foreign_keys=[confirmed_by_id])
    events = relationship("RegistryEvent", back_populates="entry", order_by="RegistryEvent.id")
    files = relationship("CareFile", back_populates="entry", order_by="CareFile.id")

    @property
    def category_list(self) -> list[HardshipCategory]:
        return categories_of(self.categories)

    @property
    def category_labels(self) -> str:
        return "、".join(c.label for c in self.category_list)

    def review_overdue(self, today: date) -> bool:
        return self.state is EntryState.CONFIRMED and self.review_due_on is not None and self.review_due_on < today


class RegistryEvent(db.Model):
    """One step in an entry's history: who did what, when, with the reason and what it set."""

    __tablename__ = "care_registry_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("care_registry_entries.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    at = mapped_column(DateTime, default=utcnow, nullable=False)
    from_state: Mapped[str | None] = mapped_column(String(32), nullable=True)
    to_state: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")  # reason / opinion (private, like the situation)
    # What the step set, kept as it was then: a resubmission's situation, a review's new date.
    categories: Mapped[str | None] = mapped_column(String(100), nullable=True)
    situation: Mapped[str | None] = mapped_column(Text, nullable=True)
    review_due_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    entry = relationship("RegistryEntry", back_populates="events")
    actor = relationship("User")


class VisitReason(LabeledEnum):
    """走访事由 (§三(二)2): "对老党员、老模范进行定期走访慰问；…患病住院、家庭发生意外、生活遇到特殊困难…"."""

    OLD_MEMBER = "old_member", "老党员"
    MODEL_WORKER = "model_worker", "老模范"
    ILLNESS = "illness", "患病住院"
    ACCIDENT = "accident", "家庭意外"
    HARDSHIP = "hardship", "生活困难"
    OTHER = "other", "其他"


class VisitOccasion(LabeledEnum):
    ROUTINE = "routine", "日常走访"
    JULY_FIRST = "july_first", "七一走访"
    SPRING_FESTIVAL = "spring_festival", "春节走访"


class Visit(db.Model):
    """走访慰问: who visited whom, when and why. `occasion_year` goes with 七一/春节 (the roster)."""

    __tablename__ = "care_visits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    visited_on: Mapped[date] = mapped_column(Date, index=True)
    visitors: Mapped[str] = mapped_column(String(200))  # names, joined by 、
    reason: Mapped[VisitReason] = mapped_column(EnumText(VisitReason))
    occasion: Mapped[VisitOccasion] = mapped_column(EnumText(VisitOccasion), default=VisitOccasion.ROUTINE)
    occasion_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    notes: Mapped[str] = mapped_column(Text, default="")  # private, like the registry's situation
    condolence_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    member = relationship("Member")
    recorded_by = relationship("User")
    condolence = relationship("Request")
    photos = relationship("CareFile", back_populates="visit", order_by="CareFile.id")

    @property
    def occasion_label(self) -> str:
        if self.occasion is VisitOccasion.ROUTINE or not self.occasion_year:
            return self.occasion.label
        return f"{self.occasion_year}年{self.occasion.label}"


class CareFile(db.Model):
    """An entry's supporting file (证明材料) or a visit's photo."""

    __tablename__ = "care_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int | None] = mapped_column(ForeignKey("care_registry_entries.id"), nullable=True, index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("care_visits.id"), nullable=True, index=True)
    filename: Mapped[str] = mapped_column(String(255))
    storage_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    entry = relationship("RegistryEntry", back_populates="files")
    visit = relationship("Visit", back_populates="photos")

    @property
    def previewable(self) -> bool:
        from ..uploads import INLINE_TYPES
        return self.content_type in INLINE_TYPES
