"""经费保障 (§四): the school-level budget per year and line, and its ledger."""
from sqlalchemy import DateTime, ForeignKey, Integer, String, UniqueConstraint
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
