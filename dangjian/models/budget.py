"""经费保障 (§四): the school-level budget per year and line, and its ledger."""
from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..money import Money
from .base import EnumText, LabeledEnum, utcnow


class BudgetLineKind(LabeledEnum):
    CONDOLENCE = "condolence", "慰问金"
    ALLOWANCE = "allowance", "书记补贴"
    AWARD = "award", "表彰奖励"


class BudgetLine(db.Model):
    """One line of one year's budget. reserved + spent never exceed amount (enforced by the
    conditional UPDATE in dangjian/budget.py, so racing approvals cannot overspend)."""

    __tablename__ = "budget_lines"
    __table_args__ = (UniqueConstraint("year", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[BudgetLineKind] = mapped_column(EnumText(BudgetLineKind))
    amount = mapped_column(Money, nullable=False)  # 预算
    reserved = mapped_column(Money, nullable=False, default=0)  # 已预留 (approved, not yet paid)
    spent = mapped_column(Money, nullable=False, default=0)  # 已支出
    updated_at = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    @property
    def balance(self):
        return self.amount - self.reserved - self.spent


class BudgetEntry(db.Model):
    """The ledger: every reservation, release and payment against a line, per request."""

    __tablename__ = "budget_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # reserve / release / spend / set
    amount = mapped_column(Money, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    line = relationship("BudgetLine")
    request = relationship("Request")
    actor = relationship("User")


class Payment(db.Model):
    """发放登记 (§四): an approved request paid out of the school budget, recorded by 组织部 with the
    date, the voucher and who paid. One per request (the unique key): a payment is never recorded
    twice, even by two clicks at the same moment. Its amount moved from reserved to spent on its line
    in the same transaction (budget.record_payment)."""

    __tablename__ = "budget_payments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id"), index=True)
    amount = mapped_column(Money, nullable=False)
    paid_on = mapped_column(Date, nullable=False)  # 发放日期
    payer: Mapped[str] = mapped_column(String(50))  # 经办人 (who paid: 组织部 or 财务处 staff)
    voucher_no: Mapped[str] = mapped_column(String(50))  # 凭证号
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at = mapped_column(DateTime, default=utcnow, nullable=False)

    request = relationship("Request")
    line = relationship("BudgetLine")
    recorded_by = relationship("User")


class UnitFundKind(LabeledEnum):
    INCOME = "income", "收入"
    EXPENSE = "expense", "支出"


class UnitFundEntry(db.Model):
    """二级党组织自有经费 (§四 second paragraph: "在相应经费项目中列支"): a unit's own ledger of income
    and expenses, not capped by the school budget. Append-only: a wrong entry is voided with a
    reason (kept and shown struck through), never edited or deleted. A unit-funded 慰问金 adds its
    expense here by itself when its payment is recorded (`request_id`)."""

    __tablename__ = "unit_fund_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[UnitFundKind] = mapped_column(EnumText(UnitFundKind))
    # The line it belongs to (慰问金, 书记补贴, 表彰奖励), or None for anything else (其他).
    line_kind: Mapped[BudgetLineKind | None] = mapped_column(EnumText(BudgetLineKind), nullable=True)
    amount = mapped_column(Money, nullable=False)  # always positive; `kind` gives the direction
    occurred_on = mapped_column(Date, nullable=False)
    summary: Mapped[str] = mapped_column(String(200))
    voucher_no: Mapped[str] = mapped_column(String(50), default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True, index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    recorded_at = mapped_column(DateTime, default=utcnow, nullable=False)
    voided_at = mapped_column(DateTime, nullable=True)
    voided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    void_reason: Mapped[str] = mapped_column(String(200), default="")

    organization = relationship("Organization")
    request = relationship("Request")
    recorded_by = relationship("User", foreign_keys=[recorded_by_id])
    voided_by = relationship("User", foreign_keys=[voided_by_id])

    @property
    def line_label(self) -> str:
        return self.line_kind.label if self.line_kind else "其他"
