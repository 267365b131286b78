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
    monthly_dues_at_application = mapped_column(Money, nullable=False)  # 月缴党费 when applying
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


def approved_waivers(member_id: int):
    """The member's approved waivers, newest first: the effect of an approval on dues owed."""
    return db.session.scalars(
        select(DuesWaiver).where(and_(DuesWaiver.beneficiary_id == member_id,
                                      DuesWaiver.state == RequestState.APPROVED))
        .order_by(DuesWaiver.start_month.desc())
    ).all()


def dues_owed(member, month: date, waivers=None) -> Decimal:
    """月缴党费 less an approved waiver covering that month (never below zero)."""
    waivers = approved_waivers(member.id) if waivers is None else waivers
    owed = member.monthly_dues
    for w in waivers:
        if w.covers(month):
            owed = max(Decimal("0.00"), owed - w.monthly_amount)
    return owed
