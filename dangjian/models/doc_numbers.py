"""The 文号 register (发文登记簿): one numbered series per issuing organization and kind of document,
sequential per year, and every number ever issued, voided ones included (GB/T 9704 7.2.4: 发文字号
by 发文机关代字, 年份 and 发文顺序号).

The series' prefixes (发文机关代字, 西财党发) are settings 组织部 edits; a number keeps the prefix it
was issued with. The numbers themselves are never deleted: a voided number stays, with who voided
it, when and why, so the register has no gap except voided numbers.
"""
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import EnumText, LabeledEnum, utcnow
from .org import OrgKind


class DocKind(LabeledEnum):
    """文种: the kind of document a series numbers."""
    DECISION = "decision", "决定"
    REPLY = "reply", "批复"
    NOTICE = "notice", "通知"
    PUBLICITY = "publicity", "公示"


class DocNumberSeries(db.Model):
    """A series of 文号 (issuer × kind) and its prefix. A row exists once 组织部 set the prefix or
    the series issued its first number; until then the default prefix applies (documents.numbers)."""

    __tablename__ = "doc_number_series"
    __table_args__ = (UniqueConstraint("issuer", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The issuing organization, by its kind: the school committee (its root) or its 组织部.
    issuer: Mapped[OrgKind] = mapped_column(EnumText(OrgKind))
    kind: Mapped[DocKind] = mapped_column(EnumText(DocKind))
    prefix: Mapped[str] = mapped_column(String(20))
    # Bumped by every number issued: the UPDATE that bumps it locks the row, so two transactions
    # issuing in one series take turns (documents.numbers.issue).
    issued_count: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    updated_at = mapped_column(DateTime, default=utcnow, nullable=False)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)

    updated_by = relationship("User")


class DocNumber(db.Model):
    """One 文号 issued: 西财党发〔2026〕3号, the document that took it, and its voiding, if any."""

    __tablename__ = "doc_numbers"
    __table_args__ = (UniqueConstraint("series_id", "year", "serial"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("doc_number_series.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    prefix: Mapped[str] = mapped_column(String(20))  # as issued (a later prefix change does not touch it)
    number: Mapped[str] = mapped_column(String(40), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # The document that took the number (its first version; later versions carry the same number).
    document_id: Mapped[int | None] = mapped_column(ForeignKey("documents.id"), nullable=True, index=True)
    issued_at = mapped_column(DateTime, default=utcnow, nullable=False)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: the system
    voided_at = mapped_column(DateTime, nullable=True)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    void_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    series = relationship("DocNumberSeries")
    document = relationship("Document")
    issued_by = relationship("User", foreign_keys=[issued_by_id])
    voided_by = relationship("User", foreign_keys=[voided_by_id])

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None
