"""慰问金 condolence and sympathy payment (§三(二)2 走访慰问, §三(三)1 困难党员帮扶).

"坚持对老党员、老模范进行定期走访慰问；坚持在党员患病住院、家庭发生意外、生活遇到特殊困难、有较大
思想波动等情况时，随时走访慰问；党员亡故时，党组织一般应派人参加并给予一定数额的慰问金。"

Models: the request itself (`CondolencePayment`), and the two settings 组织部 keeps with their
history: the standard amount per category (`CondolenceStandard`) and the amount above which a
request goes on to the school level (`CondolenceThreshold`). A setting is a row per change; the one in
force on a day is the latest row whose effective date is on or before that day.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ...extensions import db
from ...models import Attachment, Request, RequestState
from ...models.base import EnumText, LabeledEnum, utcnow
from ...money import Money
from ...timeutil import local_today


class CondolenceCategory(LabeledEnum):
    """慰问类别. 有较大思想波动 is an occasion of its own in §三(二)2, so it is a category of its own."""

    DEATH = "death", "亡故"
    HOSPITALIZED = "hospitalized", "患病住院"
    FAMILY_ACCIDENT = "family_accident", "家庭意外"
    SPECIAL_HARDSHIP = "special_hardship", "特殊困难"
    IDEOLOGICAL = "ideological", "较大思想波动"
    JULY_FIRST = "july_first", "七一走访"
    SPRING_FESTIVAL = "spring_festival", "春节走访"
    REGULAR_VISIT = "regular_visit", "老党员/老模范定期走访"

    @property
    def is_occurrence(self) -> bool:
        """Something that happened (its date cannot be in the future), unlike a planned visit."""
        return self in OCCURRENCES


OCCURRENCES = frozenset({CondolenceCategory.DEATH, CondolenceCategory.HOSPITALIZED,
                         CondolenceCategory.FAMILY_ACCIDENT, CondolenceCategory.SPECIAL_HARDSHIP,
                         CondolenceCategory.IDEOLOGICAL})
# 七一 and 春节 visits to members in difficulty (§三(三)1): at most one per member and year.
HOLIDAY_CATEGORIES = (CondolenceCategory.JULY_FIRST, CondolenceCategory.SPRING_FESTIVAL)


class FundingSource(LabeledEnum):
    """经费来源 (§四): school funds are reserved against the 慰问金 budget line; a unit's own funds are
    recorded here but not capped by the school budget."""

    SCHOOL = "school", "校级专项经费"
    UNIT = "unit", "本单位经费"


class InitiatorLevel(LabeledEnum):
    """Who started the request: the member's branch, or the secondary unit above it. The level that
    starts a request signs it by submitting; the other level then acts as a step (see workflow.py)."""

    BRANCH = "branch", "党支部"
    SECONDARY = "secondary", "二级党组织"


class PayeeKind(LabeledEnum):
    MEMBER = "member", "党员本人"
    FAMILY = "family", "家属"


FAMILY_RELATIONS = ("配偶", "子女", "父母", "兄弟姐妹", "其他亲属")

# States in which a request still counts (for "one 七一/春节 visit per member and year", and for
# "a member with a 亡故 request has died"). Rejected, cancelled and abandoned (撤销申请) requests do not count.
LIVE_STATES = (RequestState.DRAFT, RequestState.PENDING, RequestState.RETURNED, RequestState.WITHDRAWN,
               RequestState.APPROVED, RequestState.COMPLETED)

RECEIPT_KIND = "condolence_receipt"
EVIDENCE_KIND = "evidence"
Attachment.KIND_LABELS.setdefault(RECEIPT_KIND, "发放凭证/走访照片")


class CondolencePayment(Request):
    """慰问金: the branch (or the secondary unit) proposes a payment to a member (the beneficiary)."""

    __tablename__ = "condolence_payments"
    __mapper_args__ = {"polymorphic_identity": "condolence"}

    id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    category: Mapped[CondolenceCategory] = mapped_column(EnumText(CondolenceCategory), index=True)
    event_description: Mapped[str] = mapped_column(Text)  # 事由
    event_date: Mapped[date] = mapped_column(Date, index=True)  # 事由发生日期 (or the occasion's date)
    # The standard in force when the request was (re)submitted, and the reason for going above it.
    standard_amount = mapped_column(Money, nullable=False)
    over_standard_reason: Mapped[str | None] = mapped_column(Text, nullable=True)  # 超标准理由
    funding_source: Mapped[FundingSource] = mapped_column(EnumText(FundingSource))
    # The threshold in force at submission: the steps must not change under a request in flight.
    threshold_amount = mapped_column(Money, nullable=True)
    initiator_level: Mapped[InitiatorLevel] = mapped_column(EnumText(InitiatorLevel))
    planned_visitors: Mapped[str] = mapped_column(String(100))  # 计划走访人
    planned_date: Mapped[date] = mapped_column(Date)  # 计划走访日期
    payee_kind: Mapped[PayeeKind] = mapped_column(EnumText(PayeeKind))
    payee_name: Mapped[str] = mapped_column(String(50))  # 收款人
    payee_relation: Mapped[str | None] = mapped_column(String(20), nullable=True)  # 与党员关系 (family)
    # 登记走访发放: recorded by the branch after approval; then the request is 已完成.
    visit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    visitors: Mapped[str | None] = mapped_column(String(100), nullable=True)
    paid_amount = mapped_column(Money, nullable=True)  # 实际发放金额 (never above the approved amount)
    paid_recorded_at = mapped_column(DateTime, nullable=True)

    type_label = "慰问金申请"
    number_prefix = "WW"

    @property
    def is_school_funded(self) -> bool:
        return self.funding_source is FundingSource.SCHOOL

    @property
    def is_over_standard(self) -> bool:
        return self.amount is not None and self.standard_amount is not None and self.amount > self.standard_amount

    @property
    def above_threshold(self) -> bool:
        return self.threshold_amount is not None and self.amount is not None and self.amount > self.threshold_amount

    @property
    def payee_label(self) -> str:
        if self.payee_kind is PayeeKind.FAMILY:
            return f"{self.payee_name}（{self.payee_relation}）"
        return f"{self.payee_name}（党员本人）"

    @property
    def receipts(self) -> list:
        return [a for a in self.attachments if a.kind == RECEIPT_KIND]

    @property
    def evidence(self) -> list:
        return [a for a in self.attachments if a.kind != RECEIPT_KIND]


class _Setting:
    """A row per change: who set what, when, effective from which day, and what it replaced."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amount = mapped_column(Money, nullable=False)
    previous_amount = mapped_column(Money, nullable=True)  # in force on effective_from before this change
    effective_from: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(200), default="")
    set_at = mapped_column(DateTime, default=utcnow, nullable=False)


class CondolenceStandard(_Setting, db.Model):
    """慰问标准: 组织部's standard amount for one category, effective from a day."""

    __tablename__ = "condolence_standards"

    category: Mapped[CondolenceCategory] = mapped_column(EnumText(CondolenceCategory), index=True)
    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_by = relationship("User")


class CondolenceThreshold(_Setting, db.Model):
    """报校级审批金额线: a request above it goes on to 组织部 and 校党委, whatever its funding."""

    __tablename__ = "condolence_thresholds"

    set_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    set_by = relationship("User")


def _in_force(model, on: date | None, *where):
    on = on or local_today()
    return db.session.scalars(
        select(model).where(model.effective_from <= on, *where)
        .order_by(model.effective_from.desc(), model.id.desc()).limit(1)).first()


def standard_for(category: CondolenceCategory, on: date | None = None) -> CondolenceStandard | None:
    return _in_force(CondolenceStandard, on, CondolenceStandard.category == category)


def standards_in_force(on: date | None = None) -> dict[CondolenceCategory, Decimal]:
    """{category: amount} for every category that has a standard on that day."""
    out = {}
    for category in CondolenceCategory:
        row = standard_for(category, on)
        if row is not None:
            out[category] = row.amount
    return out


def threshold_in_force(on: date | None = None) -> CondolenceThreshold | None:
    return _in_force(CondolenceThreshold, on)


def set_standard(category: CondolenceCategory, amount: Decimal, effective_from: date, user, note="") -> CondolenceStandard:
    """Record a new standard (in the caller's transaction); the old one stays in the history."""
    previous = standard_for(category, effective_from)
    row = CondolenceStandard(category=category, amount=amount, effective_from=effective_from, note=note,
                             previous_amount=previous.amount if previous else None, set_by_id=user.id)
    db.session.add(row)
    return row


def set_threshold(amount: Decimal, effective_from: date, user, note="") -> CondolenceThreshold:
    previous = threshold_in_force(effective_from)
    row = CondolenceThreshold(amount=amount, effective_from=effective_from, note=note,
                              previous_amount=previous.amount if previous else None, set_by_id=user.id)
    db.session.add(row)
    return row


def deceased_request(member_id: int, exclude_id: int | None = None) -> CondolencePayment | None:
    """A live 亡故 request for the member: then the member has died and cannot be the payee."""
    query = select(CondolencePayment).where(
        CondolencePayment.beneficiary_id == member_id, CondolencePayment.category == CondolenceCategory.DEATH,
        CondolencePayment.state.in_(LIVE_STATES))
    if exclude_id is not None:
        query = query.where(CondolencePayment.id != exclude_id)
    return db.session.scalars(query.order_by(CondolencePayment.id).limit(1)).first()


def holiday_request(member_id: int, category: CondolenceCategory, year: int,
                    exclude_id: int | None = None) -> CondolencePayment | None:
    """The member's live 七一 or 春节 request for that year, if any (one per member and year)."""
    query = select(CondolencePayment).where(
        CondolencePayment.beneficiary_id == member_id, CondolencePayment.category == category,
        CondolencePayment.event_date >= date(year, 1, 1), CondolencePayment.event_date <= date(year, 12, 31),
        CondolencePayment.state.in_(LIVE_STATES))
    if exclude_id is not None:
        query = query.where(CondolencePayment.id != exclude_id)
    return db.session.scalars(query.order_by(CondolencePayment.id).limit(1)).first()


def occasion_refusal(member_id: int, category: CondolenceCategory, event_date: date | None,
                     exclude_id: int | None = None) -> str | None:
    """One 亡故 慰问金 per member; one 七一 and one 春节 visit per member and year (§三(三)1).
    The refusal the form and the workflow both give, or None."""
    if category is CondolenceCategory.DEATH:
        dead = deceased_request(member_id, exclude_id=exclude_id)
        if dead is not None:
            return f"该党员已有亡故慰问申请（{dead.number}，{dead.state.label}），不能重复申请"
    if category in HOLIDAY_CATEGORIES and event_date is not None:
        clash = holiday_request(member_id, category, event_date.year, exclude_id=exclude_id)
        if clash is not None:
            return (f"该党员{event_date.year}年已有{category.label}慰问（{clash.number}，{clash.state.label}），"
                    "每人每年一次")
    return None


def payee_refusal(member_id: int, category: CondolenceCategory | None, payee_kind: PayeeKind | None,
                  exclude_id: int | None = None) -> str | None:
    """A member who has died is never the payee: the family is. The refusal, or None."""
    if payee_kind is not PayeeKind.MEMBER:
        return None
    if category is CondolenceCategory.DEATH:
        return "党员亡故的，收款人应为其家属，请填写家属姓名和关系"
    dead = deceased_request(member_id, exclude_id=exclude_id)
    if dead is not None:
        return f"该党员已亡故（{dead.number}），收款人应为其家属"
    return None
