"""Generated documents (PDF). The row exists before its job; the database is the truth."""
from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..documents.codes import new_code
from ..extensions import db
from .base import EnumText, LabeledEnum, utcnow


class DocumentStatus(LabeledEnum):
    PENDING = "pending", "排队生成中"
    RENDERING = "rendering", "正在生成"
    DONE = "done", "已生成"
    FAILED = "failed", "生成失败"


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("request_id", "kind", "part", "version"),
                      UniqueConstraint("award_cycle_id", "kind", "part", "version"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A document belongs to a request, or (公示 notice, 表彰决定) to an award cycle: one of the two.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True, index=True)
    award_cycle_id: Mapped[int | None] = mapped_column(ForeignKey("award_cycles.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(40))  # e.g. dues_waiver_form
    # For a document made once per part of a request (e.g. one notice per branch of a batch).
    part: Mapped[str] = mapped_column(String(40), default="", nullable=False)
    title: Mapped[str] = mapped_column(String(100))  # 党费减免审批表
    version: Mapped[int] = mapped_column(Integer, default=1)
    template: Mapped[str] = mapped_column(String(100))
    status: Mapped[DocumentStatus] = mapped_column(EnumText(DocumentStatus), default=DocumentStatus.PENDING,
                                                   index=True)
    storage_path: Mapped[str | None] = mapped_column(String(255), nullable=True)
    # Indexed: the /verify page looks an uploaded file up by its digest.
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The 文号 a notice or decision took from the register (西财党发〔2026〕3号); forms have none.
    doc_number: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    # The short random code printed on the PDF (with a QR code) for the public /verify page:
    # made with the row, so it is known before the render (dangjian.documents.codes, 65 bits).
    verification_code: Mapped[str | None] = mapped_column(String(32), nullable=True, unique=True,
                                                          default=new_code)
    # 作废 (dangjian.documents.validity.void): the file stays in the archive, and /verify
    # says 已作废. The reason is for the audit trail and 组织部, never shown on /verify.
    voided_at = mapped_column(DateTime, nullable=True)
    void_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    enqueued_at = mapped_column(DateTime, nullable=True)
    started_at = mapped_column(DateTime, nullable=True)
    finished_at = mapped_column(DateTime, nullable=True)

    request = relationship("Request", back_populates="documents")

    @property
    def download_name(self) -> str:
        """党费减免审批表-DF-2026-0007.pdf (a cycle document: its title only)"""
        suffix = f"-v{self.version}" if self.version > 1 else ""
        number = f"-{self.request.number}" if self.request is not None else ""
        return f"{self.title}{number}{suffix}.pdf"

    @property
    def is_done(self) -> bool:
        return self.status is DocumentStatus.DONE
