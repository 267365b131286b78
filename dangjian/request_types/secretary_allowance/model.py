"""兼职支部书记补贴 part-time branch secretary allowance (§三(一)3):

"对兼职教职工党支部书记，经考核合格，每个支部按照全年3000元的标准给予经费保障或补贴党建活动经费等办法，
用于兼职基层教职工党支部书记抓党建工作的电话补助、交通补助、资料费、岗位补贴和考核奖励等，具体补助由
组织部根据党支部设置实际情况核定并实施。"

What the rule needs recorded: who was each branch's secretary and whether 兼职 (BranchSecretaryTerm),
and each branch's annual grade, which is the branch's 党建考核 (dangjian/assessment: one grade, one
place; 一般 and better is "考核合格"). What it produces: one batch per unit and
year (SecretaryAllowance, a request) with one line per branch and secretary (AllowanceLine), and a
claim per branch and year (AllowanceClaim) whose unique key makes "one allowance per branch per
year" hold in the database, even when two batches are submitted at the same moment.
"""
import json
from datetime import date
from decimal import Decimal

from sqlalchemy import (Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...assessment.grades import AssessmentGrade
from ...extensions import db
from ...models import Request
from ...models.base import EnumText, LabeledEnum, utcnow
from ...money import Money

#: 全年3000元: the most one branch receives for one year.
ANNUAL_STANDARD = Decimal("3000.00")


class PaymentMethod(LabeledEnum):
    """发放方式: "给予经费保障或补贴党建活动经费"."""

    TO_SECRETARY = "to_secretary", "发放给书记本人"
    ACTIVITY_FUNDS = "activity_funds", "补贴党建活动经费"


#: The five items of the breakdown, in the order of the policy text (the last takes the
#: remainder fen of a default split).
ITEMS = (
    ("phone", "电话补助"),
    ("transport", "交通补助"),
    ("materials", "资料费"),
    ("post", "岗位补贴"),
    ("reward", "考核奖励"),
)
ITEM_LABELS = dict(ITEMS)
ITEM_KEYS = tuple(k for k, _ in ITEMS)


class BranchSecretaryTerm(db.Model):
    """Who was a branch's secretary, from `start_on` to `end_on` (both inclusive; None: still in
    office), and whether 兼职 (part-time) or 专职. Terms of one branch never overlap."""

    __tablename__ = "branch_secretary_terms"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    part_time: Mapped[bool] = mapped_column(Boolean, default=True)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at = mapped_column(DateTime, default=utcnow, nullable=False)

    branch = relationship("Organization")
    member = relationship("Member")
    recorded_by = relationship("User")

    @property
    def kind_label(self) -> str:
        return "兼职" if self.part_time else "专职"

    def in_office(self, day: date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)

    def overlaps(self, start: date, end: date | None) -> bool:
        far = date.max
        return self.start_on <= (end or far) and start <= (self.end_on or far)


class SecretaryAllowance(Request):
    """One unit's batch for one year: every eligible branch of a secondary unit (or, started by
    组织部, every eligible 直属党支部; the batch's organization is then the school committee)."""

    __tablename__ = "secretary_allowances"
    # The inbox lists requests of every type; load this type's columns (year) for a page of them
    # in one extra query, not one per row.
    __mapper_args__ = {"polymorphic_identity": "secretary_allowance", "polymorphic_load": "selectin"}

    id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    standard = mapped_column(Money, nullable=False)  # 全年标准 when the batch was made
    # The unit's branches left out, with the reason, as computed at submission: JSON list of
    # {"branch": name, "type": label, "reason": text}. Shown to 组织部 next to the lines.
    exclusions: Mapped[str] = mapped_column(Text, default="[]")

    lines = relationship("AllowanceLine", back_populates="batch", order_by="AllowanceLine.position",
                         cascade="all, delete-orphan")

    type_label = "兼职支部书记补贴"
    number_prefix = "SB"

    @property
    def title(self) -> str:
        return f"{self.organization.name}{self.year}年度兼职支部书记补贴"

    def conflicted_member_ids(self) -> set[int]:
        """回避: every secretary paid by the batch (the engine's recusal reads this)."""
        return {line.member_id for line in self.lines}

    @property
    def is_direct(self) -> bool:
        """A batch of 直属党支部, started by 组织部 (its organization is the school committee)."""
        return self.organization.parent_id is None

    @property
    def branch_ids(self) -> list[int]:
        return list(dict.fromkeys(line.branch_id for line in self.lines))

    def branch_lines(self, branch_id: int) -> list["AllowanceLine"]:
        return [line for line in self.lines if line.branch_id == branch_id]

    def branch_total(self, branch_id: int) -> Decimal:
        return sum((line.amount for line in self.branch_lines(branch_id)), Decimal("0.00"))

    def item_total(self, key: str) -> Decimal:
        return sum((getattr(line, key) for line in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))

    @property
    def exclusion_list(self) -> list[dict]:
        try:
            return json.loads(self.exclusions or "[]")
        except ValueError:
            return []


class AllowanceLine(db.Model):
    """One branch and one secretary in a batch: what was computed, from what, and what 组织部
    decided (the amount, its five items and the payment method)."""

    __tablename__ = "allowance_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("secretary_allowances.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)  # the secretary
    # What the amount was computed from (a snapshot: later changes to the records do not move it).
    branch_type_label: Mapped[str] = mapped_column(String(20))
    part_time: Mapped[bool] = mapped_column(Boolean, default=True)
    grade: Mapped[AssessmentGrade] = mapped_column(EnumText(AssessmentGrade))
    months_existed: Mapped[int] = mapped_column(Integer)
    existed_months: Mapped[str] = mapped_column(String(40))  # "1,2,…,12"
    months_served: Mapped[int] = mapped_column(Integer)
    served_months: Mapped[str] = mapped_column(String(40))  # "1,2,3,4,5"
    computed_amount = mapped_column(Money, nullable=False)  # before any adjustment
    # What is paid; the five items add up to the amount.
    amount = mapped_column(Money, nullable=False)
    phone = mapped_column(Money, nullable=False)  # 电话补助
    transport = mapped_column(Money, nullable=False)  # 交通补助
    materials = mapped_column(Money, nullable=False)  # 资料费
    post = mapped_column(Money, nullable=False)  # 岗位补贴
    reward = mapped_column(Money, nullable=False)  # 考核奖励
    payment_method: Mapped[PaymentMethod] = mapped_column(EnumText(PaymentMethod),
                                                         default=PaymentMethod.TO_SECRETARY)

    batch = relationship("SecretaryAllowance", back_populates="lines")
    # A batch page shows every line's branch and secretary: loaded for all lines in one query each.
    branch = relationship("Organization", lazy="selectin")
    member = relationship("Member", lazy="selectin")

    @property
    def items(self) -> dict[str, Decimal]:
        return {k: getattr(self, k) for k in ITEM_KEYS}

    @property
    def items_total(self) -> Decimal:
        return sum(self.items.values(), Decimal("0.00"))

    @property
    def served_list(self) -> list[int]:
        return [int(m) for m in self.served_months.split(",") if m]

    @property
    def existed_list(self) -> list[int]:
        return [int(m) for m in self.existed_months.split(",") if m]

    @property
    def served_label(self) -> str:
        from .compute import months_label

        return months_label(self.served_list)

    @property
    def existed_label(self) -> str:
        from .compute import months_label

        return months_label(self.existed_list)

    @property
    def formula(self) -> str:
        from .compute import formula

        return formula(self.batch.standard, self.months_served, self.computed_amount)

    @property
    def adjusted(self) -> bool:
        return self.amount != self.computed_amount

    @property
    def who(self) -> str:
        """会计学院教工第一党支部 李明华"""
        return f"{self.branch.name} {self.member.name}"


class AllowanceClaim(db.Model):
    """A branch's allowance for a year, held by one batch from submission until it is rejected,
    withdrawn or returned. The unique key is the rule "one per branch per year" in the database."""

    __tablename__ = "allowance_claims"
    __table_args__ = (UniqueConstraint("branch_id", "year", name="uq_allowance_claims_branch_year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    branch_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    year: Mapped[int] = mapped_column(Integer)
    batch_id: Mapped[int] = mapped_column(ForeignKey("secretary_allowances.id"), index=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    branch = relationship("Organization")
    batch = relationship("SecretaryAllowance")
