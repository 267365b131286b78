"""抄送 (issue 8 §2): the rules 组织部 keeps per request type, and the copies a request was sent.

A copy makes the request visible to its recipient, read-only (scope.visible_requests), and lists it
under 抄送我的 with its read state.
"""
from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import EnumText, LabeledEnum, utcnow


class CcTarget(LabeledEnum):
    """Whom a rule copies. The first two are relative to the request; the next three are everyone
    holding that school-wide role; the last is one named account (e.g. 财务处's cashier, who holds
    no party role: non-party offices are not in the organization tree)."""

    BRANCH_SECRETARY = "branch_secretary", "所在党支部书记/支委"
    SECONDARY = "secondary", "所在二级党组织书记/组织员"
    ORG_DEPT = "org_dept", "党委组织部"
    SCHOOL = "school", "校党委"
    SUPERVISOR = "supervisor", "纪委/监督"
    USER = "user", "指定人员"


class CcWhen(LabeledEnum):
    """When a rule copies: on approval (审批通过: entering the type's approved state, e.g. a 慰问金
    ready to be paid), or when the request closes whatever the outcome (办结: approved, rejected,
    completed, cancelled …, the type's closed states)."""

    APPROVED = "approved", "审批通过时"
    CLOSED = "closed", "办结时（无论结果）"


class CcRule(db.Model):
    """One rule: copy `target` on requests of `request_type` at `timing`. Removing a rule keeps the
    row (removed_at), so the copies it made still say where they came from."""

    __tablename__ = "cc_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_type: Mapped[str] = mapped_column(String(32), index=True)  # Request.type (dues_waiver …)
    target: Mapped[CcTarget] = mapped_column(EnumText(CcTarget))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # target USER only
    timing: Mapped[CcWhen] = mapped_column(EnumText(CcWhen))
    note: Mapped[str] = mapped_column(String(100), default="")  # 说明, e.g. 财务处：按批准金额发放
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    removed_at = mapped_column(DateTime, nullable=True)

    user = relationship("User", foreign_keys=[user_id])
    created_by = relationship("User", foreign_keys=[created_by_id])

    @property
    def target_label(self) -> str:
        if self.target is CcTarget.USER and self.user is not None:
            return f"{self.target.label}：{self.user.display_name}（{self.user.username}）"
        return self.target.label


class RequestCopy(db.Model):
    """A request copied to one user: by a rule when it ended, or by an approver when acting.
    One row per request and user; `read_at` is set when the recipient first opens the request."""

    __tablename__ = "request_copies"
    __table_args__ = (UniqueConstraint("request_id", "user_id", name="uq_request_copies_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("cc_rules.id"), nullable=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)  # None: a rule
    action: Mapped[str] = mapped_column(String(16), default="")  # the action it came with (approve …)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)
    read_at = mapped_column(DateTime, nullable=True)

    user = relationship("User", foreign_keys=[user_id])
    added_by = relationship("User", foreign_keys=[added_by_id])
    rule = relationship("CcRule")

    @property
    def source_label(self) -> str:
        if self.added_by is not None:
            from ..workflow.history import action_label
            return f"{self.added_by.display_name}{action_label(self.action) if self.action else ''}时抄送"
        return "按组织部抄送规则"
