"""What every request has: number, state, initiator, organization, beneficiary, amount,
attachments and a timeline (DOMAIN: "What every request has")."""
from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money
from .base import EnumText, LabeledEnum, utcnow


class RequestState(LabeledEnum):
    DRAFT = "draft", "草稿"
    PENDING = "pending", "审批中"
    RETURNED = "returned", "已退回"
    WITHDRAWN = "withdrawn", "已撤回"
    APPROVED = "approved", "已通过"
    REJECTED = "rejected", "未通过"
    COMPLETED = "completed", "已完成"  # 慰问金: the visit and the payment are recorded
    PUBLICIZING = "publicizing", "公示中"  # 表彰推荐: on the 公示 list
    AWARDED = "awarded", "已表彰"
    REVOKED = "revoked", "已撤销"  # 表彰推荐: an objection was upheld
    CANCELLED = "cancelled", "已取消"  # approved, then cancelled before payment
    # The initiator gave the application up (撤销申请) after it was returned or withdrawn: closed,
    # holding nothing; a new application can be filed in its place.
    ABANDONED = "abandoned", "已撤销申请"

    @property
    def css(self) -> str:
        return {
            "draft": "secondary", "pending": "primary", "returned": "warning",
            "withdrawn": "secondary", "approved": "success", "rejected": "danger",
            "completed": "success", "publicizing": "info", "awarded": "success",
            "revoked": "danger", "cancelled": "secondary", "abandoned": "secondary",
        }[self.value]

    @property
    def is_final(self) -> bool:
        """The approval itself has ended (a decision exists); later stages may still follow."""
        return self not in (RequestState.DRAFT, RequestState.PENDING, RequestState.RETURNED,
                            RequestState.WITHDRAWN)


class Request(db.Model):
    """The common part of every request type (joined-table inheritance on `type`)."""

    __tablename__ = "requests"
    __table_args__ = (
        Index("ix_requests_inbox", "state", "current_role", "current_org_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(32), index=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 编号, e.g. DF-2026-0007
    state: Mapped[RequestState] = mapped_column(EnumText(RequestState), default=RequestState.DRAFT)
    # Where the request waits: the step, and which role of which organization acts on it.
    current_step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    current_role: Mapped[str | None] = mapped_column(String(32), nullable=True)
    current_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True)
    step_entered_at = mapped_column(DateTime, nullable=True)
    # 转办: a named person who alone (with their deputies) acts on the current step; None: every
    # holder of current_role at current_org. Cleared whenever the request moves to another step.
    current_assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # Optimistic lock: every state change is `UPDATE ... WHERE version = :seen`.
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # 催办: the last urge of the request, set by a conditional UPDATE (at most one per 24 hours,
    # workflow.urge). Not a state change: `version` stays.
    last_urged_at = mapped_column(DateTime, nullable=True)

    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    initiator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    beneficiary_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), nullable=True, index=True)
    amount = mapped_column(Money, nullable=True)

    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    submitted_at = mapped_column(DateTime, nullable=True)
    closed_at = mapped_column(DateTime, nullable=True)

    organization = relationship("Organization", foreign_keys=[organization_id])
    current_org = relationship("Organization", foreign_keys=[current_org_id])
    current_assignee = relationship("User", foreign_keys=[current_assignee_id])
    initiator = relationship("User", foreign_keys=[initiator_id])
    beneficiary = relationship("Member", foreign_keys=[beneficiary_id])
    timeline = relationship("TimelineEntry", back_populates="request", order_by="TimelineEntry.id",
                            cascade="all, delete-orphan")
    attachments = relationship("Attachment", back_populates="request", order_by="Attachment.id",
                               cascade="all, delete-orphan")
    documents = relationship("Document", back_populates="request", order_by="Document.id")

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_identity": "request"}

    # Set by each request type.
    type_label = "申请"
    number_prefix = "RQ"

    def __repr__(self):
        return f"<{type(self).__name__} {self.number} {self.state}>"

    def conflicted_member_ids(self) -> set[int]:
        """Members who may not act on this request (回避): the beneficiary by default; a batch
        that pays several people lists them all."""
        return {self.beneficiary_id} if self.beneficiary_id else set()

    @property
    def title(self) -> str:
        who = self.beneficiary.name if self.beneficiary else self.organization.name
        return f"{who}的{self.type_label}"


class TimelineEntry(db.Model):
    """One action on a request: who, in which role, when, the action, the opinion and meeting."""

    __tablename__ = "timeline_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    # None for actions the system takes by itself (e.g. the end of a 公示 period).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    actor_role: Mapped[str] = mapped_column(String(32))  # a Role value, "applicant" or "system"
    actor_org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), nullable=True)
    # 代为处理: the holder on whose behalf a deputy acted (委托代理); None when the actor held the role.
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    action: Mapped[str] = mapped_column(String(16))
    step: Mapped[str | None] = mapped_column(String(32), nullable=True)
    opinion: Mapped[str] = mapped_column(Text, default="")
    meeting_type: Mapped[str | None] = mapped_column(String(16), nullable=True)  # 支委会/党委会 …
    meeting_date = mapped_column(Date, nullable=True)
    votes_for: Mapped[int | None] = mapped_column(Integer, nullable=True)
    votes_against: Mapped[int | None] = mapped_column(Integer, nullable=True)
    votes_abstain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # What the action changed, for actions that carry data (核定调整, 登记发放 …): a short
    # Chinese summary shown on the timeline.
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    request = relationship("Request", back_populates="timeline")
    actor = relationship("User", foreign_keys=[actor_id])
    actor_org = relationship("Organization")
    on_behalf_of = relationship("User", foreign_keys=[on_behalf_of_id])


class Attachment(db.Model):
    """An uploaded file (证明材料, a scan of a signed application …), stored under instance/uploads."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    filename: Mapped[str] = mapped_column(String(255))
    storage_path: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(100))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    request = relationship("Request", back_populates="attachments")

    KIND_LABELS = {"evidence": "证明材料", "signed_application": "本人签字的申请书扫描件"}

    @property
    def kind_label(self) -> str:
        return self.KIND_LABELS.get(self.kind, self.kind)

    @property
    def previewable(self) -> bool:
        """PDF and images open in the browser (预览); anything else only downloads."""
        from ..uploads import INLINE_TYPES
        return self.content_type in INLINE_TYPES


class NumberSequence(db.Model):
    """The last number issued per request type and year (编号 without gaps)."""

    __tablename__ = "number_sequences"
    __table_args__ = (UniqueConstraint("prefix", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    last_value: Mapped[int] = mapped_column(Integer, default=0)

    @classmethod
    def next_number(cls, prefix: str, year: int) -> str:
        """Take the next number inside the caller's transaction; the row lock serializes takers."""
        bump = (update(cls).where(cls.prefix == prefix, cls.year == year)
                .values(last_value=cls.last_value + 1).returning(cls.last_value))
        value = db.session.execute(bump).scalar()
        if value is None:
            # The year's first number: create the row in a savepoint. If another transaction
            # created it at the same moment, ours fails on the unique key and we bump theirs.
            try:
                with db.session.begin_nested():
                    db.session.add(cls(prefix=prefix, year=year, last_value=0))
            except IntegrityError:
                pass
            value = db.session.execute(bump).scalar()
        return f"{prefix}-{year}-{value:04d}"


def _current_step_label(self) -> str:
    step = type(self).workflow.step(self.current_step) if self.current_step else None
    return step.label if step else ""


Request.current_step_label = property(_current_step_label)
