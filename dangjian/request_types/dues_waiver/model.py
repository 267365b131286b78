"""党费减免 dues waiver (§三(二)3): "由其本人提出申请，党支部讨论，所在单位二级党组织提出意见，
校党委审批后可予减免。"
"""
from datetime import date
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Text, and_, select
from sqlalchemy.orm import Mapped, mapped_column

from ...extensions import db
from ...models import Request, RequestState
from ...models.base import EnumText, LabeledEnum
from ...money import Money

MAX_MONTHS = 12  # 起止年月: at most 12 months; continuing means a new request
# A waiver in these states holds its months: no other waiver of the member may cover them.
# (Withdrawn, rejected and abandoned (撤销申请) ones do not: a withdrawn waiver is checked again when it
# is resubmitted; a returned one holds them until it is resubmitted or abandoned.)
HOLDING_STATES = (RequestState.DRAFT, RequestState.PENDING, RequestState.RETURNED, RequestState.APPROVED)


class WaiverMode(LabeledEnum):
    FULL = "full", "全额免交"
    PARTIAL = "partial", "部分减交"


class HardshipCategory(LabeledEnum):
    LIVING = "living", "生活困难"
    ILLNESS = "illness", "患病"
    UNEMPLOYED = "unemployed", "失业"
    OTHER = "other", "其他"


def months_between(start: date, end: date) -> int:
    """Inclusive count of months from start's month to end's month."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


class DuesWaiver(Request):
    __tablename__ = "dues_waivers"
    __mapper_args__ = {"polymorphic_identity": "dues_waiver"}

    id: Mapped[int] = mapped_column(ForeignKey("requests.id"), primary_key=True)
    mode: Mapped[WaiverMode] = mapped_column(EnumText(WaiverMode))
    monthly_amount = mapped_column(Money, nullable=False)  # 每月减免金额
    # 月缴党费 of the first month of the period when applying (the form checks every month's dues).
    monthly_dues_at_application = mapped_column(Money, nullable=False)
    start_month: Mapped[date] = mapped_column(Date)  # first day of the first month
    end_month: Mapped[date] = mapped_column(Date)  # first day of the last month
    hardship_category: Mapped[HardshipCategory] = mapped_column(EnumText(HardshipCategory))
    hardship_description: Mapped[str] = mapped_column(Text)

    type_label = "党费减免申请"
    number_prefix = "DF"

    @property
    def months(self) -> int:
        return months_between(self.start_month, self.end_month)

    @property
    def on_behalf(self) -> bool:
        """Started by the branch secretary on the member's behalf."""
        return self.beneficiary is not None and self.initiator.member_id != self.beneficiary_id

    def covers(self, month: date) -> bool:
        return self.start_month <= month.replace(day=1) <= self.end_month


def month_range(start: date, end: date) -> list[date]:
    """The first day of every month from start's month to end's month."""
    months, y, m = [], start.year, start.month
    while (y, m) <= (end.year, end.month):
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def approved_waivers(member_id: int):
    """The member's approved waivers, newest first: the effect of an approval on dues owed."""
    return db.session.scalars(
        select(DuesWaiver).where(and_(DuesWaiver.beneficiary_id == member_id,
                                      DuesWaiver.state == RequestState.APPROVED))
        .order_by(DuesWaiver.start_month.desc())
    ).all()


def dues_owed(member, month: date, waivers=None) -> Decimal:
    """That month's 月缴党费 (Member.dues_on: the effective-dated history) less an approved waiver
    covering it: nothing under 全额免交, the monthly amount under 部分减交 (never below zero)."""
    waivers = approved_waivers(member.id) if waivers is None else waivers
    owed = member.dues_on(month)
    for w in waivers:
        if w.covers(month):
            owed = Decimal("0.00") if w.mode is WaiverMode.FULL else max(Decimal("0.00"), owed - w.monthly_amount)
    return owed


def overlapping_waiver(member_id: int, start: date, end: date, exclude_id: int | None = None) -> DuesWaiver | None:
    """Another waiver of the member that holds one of the months from start to end, if any."""
    query = select(DuesWaiver).where(
        DuesWaiver.beneficiary_id == member_id, DuesWaiver.state.in_(HOLDING_STATES),
        DuesWaiver.start_month <= end, DuesWaiver.end_month >= start)
    if exclude_id is not None:
        query = query.where(DuesWaiver.id != exclude_id)
    return db.session.scalars(query.order_by(DuesWaiver.id).limit(1)).first()


def overlap_refusal(member_id: int, start: date, end: date, exclude_id: int | None = None) -> str | None:
    """期间不能重叠: the refusal the form and the workflow both give, or None."""
    clash = overlapping_waiver(member_id, start, end, exclude_id)
    if clash is None:
        return None
    return f"该党员已有覆盖这段时间的党费减免申请（{clash.number}，{clash.state.label}），期间不能重叠"
