"""结对帮扶 and 志愿服务 (§三(三)2): "开展党组织结对共建、党员结对帮扶、党员志愿者行动等活动，对困难党员
确定帮扶对象，制定帮扶措施，落实帮扶责任，积极开展互助活动。"
"""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models.base import EnumText, LabeledEnum, utcnow


class PairingState(LabeledEnum):
    ACTIVE = "active", "帮扶中"
    ENDED = "ended", "已结束"


class ContactWay(LabeledEnum):
    VISIT = "visit", "上门走访"
    MEETING = "meeting", "面谈"
    PHONE = "phone", "电话"
    ONLINE = "online", "微信/短信"
    OTHER = "other", "其他"


class Pairing(db.Model):
    """A cadre or member (帮扶人) paired with a member in difficulty (帮扶对象), from a date until it
    is ended with a reason. The measures and the contacts' notes concern the member's hardship: only
    the beneficiary's branch, secondary unit, 组织部, 校党委 and 纪委 (scope) and the helper see them."""

    __tablename__ = "pairings"
    __table_args__ = (
        CheckConstraint("helper_id <> member_id", name="ck_pairing_not_self"),
        Index("ix_pairings_member", "member_id"),
        Index("ix_pairings_helper", "helper_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    # The beneficiary's branch when the pairing began: whose scope it is in.
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    started_on = mapped_column(Date, nullable=False)
    ended_on = mapped_column(Date, nullable=True)
    measures: Mapped[str] = mapped_column(Text, default="")  # 帮扶措施
    state: Mapped[PairingState] = mapped_column(EnumText(PairingState), default=PairingState.ACTIVE)
    end_reason: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    helper = relationship("Member", foreign_keys=[helper_id])
    member = relationship("Member", foreign_keys=[member_id])
    organization = relationship("Organization")
    contacts = relationship("PairingContact", back_populates="pairing", cascade="all, delete-orphan",
                            order_by="PairingContact.contacted_on.desc(), PairingContact.id.desc()")


class PairingContact(db.Model):
    """One contact of a pairing: when, how, and what was done or learnt."""

    __tablename__ = "pairing_contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pairing_id: Mapped[int] = mapped_column(ForeignKey("pairings.id"), index=True)
    contacted_on = mapped_column(Date, nullable=False)
    way: Mapped[ContactWay] = mapped_column(EnumText(ContactWay))
    notes: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    pairing = relationship("Pairing", back_populates="contacts")
    recorded_by = relationship("User")


class VolunteerRecord(db.Model):
    """党员志愿服务: who served, in what activity, when, for how long, organized by whom. Hours are
    kept in tenths (exact: 2.5 hours is 25)."""

    __tablename__ = "volunteer_records"
    __table_args__ = (CheckConstraint("hours_tenths > 0", name="ck_volunteer_hours_positive"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)  # the member's branch then
    activity: Mapped[str] = mapped_column(String(100))
    served_on = mapped_column(Date, nullable=False)
    hours_tenths: Mapped[int] = mapped_column(Integer)
    organizer: Mapped[str] = mapped_column(String(100), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at = mapped_column(DateTime, default=utcnow, nullable=False)

    member = relationship("Member")
    organization = relationship("Organization")

    @property
    def hours(self) -> str:
        return format_hours(self.hours_tenths)


def format_hours(tenths: int | None) -> str:
    tenths = tenths or 0
    return str(tenths // 10) if tenths % 10 == 0 else f"{tenths // 10}.{tenths % 10}"
