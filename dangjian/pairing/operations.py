"""What changes pairings and volunteer records, each in one transaction with its audit row.
Hardship text (measures, contact notes) never goes into an audit row."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import select, update

from .. import audit
from ..extensions import db
from ..models import Member
from ..timeutil import local_today
from . import access
from .models import ContactWay, Pairing, PairingContact, PairingState, VolunteerRecord

EARLIEST_DAYS = 400
MAX_HOURS = Decimal("24")


class PairingError(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class AlreadyHandled(PairingError):
    def __init__(self):
        super().__init__("该记录已被他人处理，请刷新页面后查看")


def _member(staff_no: str, field: str, label: str) -> Member:
    staff_no = (staff_no or "").strip()
    if not staff_no:
        raise PairingError(f"请填写{label}的工号/学号", field)
    member = db.session.scalar(select(Member).where(Member.staff_no == staff_no))
    if member is None or not member.in_good_standing:
        raise PairingError(f"找不到工号/学号为 {staff_no} 且党籍正常的党员", field)
    return member


def _day(value: date | None, field: str, label: str, today: date) -> date:
    if value is None:
        raise PairingError(f"请填写{label}", field)
    if value > today:
        raise PairingError(f"{label}不能晚于今天", field)
    if value < today - timedelta(days=EARLIEST_DAYS):
        raise PairingError(f"只能补录一年以内的{label}", field)
    return value


def _text(value: str, field: str, label: str, low: int, high: int) -> str:
    value = (value or "").strip()
    if not low <= len(value) <= high:
        raise PairingError(f"{label}须为{low}–{high}字" if low else f"{label}不能超过{high}字", field)
    return value


def create_pairing(user, *, member_staff_no: str, helper_staff_no: str, started_on: date | None,
                   measures: str, today: date | None = None) -> Pairing:
    today = today or local_today()
    member = _member(member_staff_no, "member_staff_no", "帮扶对象")
    if not access.can_keep(user, member.branch):
        raise PairingError("帮扶对象须是您所在党组织的党员", "member_staff_no")
    if member.id == user.member_id:
        raise PairingError("不能为本人登记结对帮扶（回避）", "member_staff_no")
    helper = _member(helper_staff_no, "helper_staff_no", "帮扶人")
    if helper.id == member.id:
        raise PairingError("帮扶人和帮扶对象不能是同一人", "helper_staff_no")
    started_on = _day(started_on, "started_on", "开始日期", today)
    measures = _text(measures, "measures", "帮扶措施", 10, 2000)
    if db.session.scalar(select(Pairing.id).where(Pairing.helper_id == helper.id, Pairing.member_id == member.id,
                                                  Pairing.state == PairingState.ACTIVE)) is not None:
        raise PairingError(f"{helper.name}与{member.name}已在结对帮扶中", "helper_staff_no")
    pairing = Pairing(helper_id=helper.id, member_id=member.id, organization_id=member.branch_id,
                      started_on=started_on, measures=measures, created_by_id=user.id)
    db.session.add(pairing)
    db.session.flush()
    audit.record("pairing.created", pairing, user=user, member=member.name, helper=helper.name,
                 started_on=started_on)
    db.session.commit()
    return pairing


def end_pairing(user, pairing: Pairing, *, ended_on: date | None, reason: str, today: date | None = None) -> None:
    today = today or local_today()
    if not access.can_end(user, pairing):
        raise PairingError("您不能结束该结对帮扶")
    ended_on = ended_on or today
    if ended_on < pairing.started_on:
        raise PairingError("结束日期不能早于开始日期", "ended_on")
    if ended_on > today:
        raise PairingError("结束日期不能晚于今天", "ended_on")
    reason = _text(reason, "reason", "结束原因", 2, 200)
    changed = db.session.execute(update(Pairing).where(Pairing.id == pairing.id, Pairing.state == PairingState.ACTIVE)
                                 .values(state=PairingState.ENDED, ended_on=ended_on, end_reason=reason)
                                 .execution_options(synchronize_session=False)).rowcount
    if not changed:
        db.session.rollback()
        raise AlreadyHandled()
    audit.record("pairing.ended", pairing, user=user, ended_on=ended_on, reason=reason)
    db.session.commit()
    db.session.refresh(pairing)


def add_contact(user, pairing: Pairing, *, contacted_on: date | None, way: str, notes: str,
                today: date | None = None) -> PairingContact:
    today = today or local_today()
    if not access.can_add_contact(user, pairing):
        raise PairingError("您不能为该结对帮扶登记联系")
    if pairing.state is not PairingState.ACTIVE:
        raise PairingError("该结对帮扶已结束，不能再登记联系")
    contacted_on = _day(contacted_on, "contacted_on", "联系日期", today)
    if contacted_on < pairing.started_on:
        raise PairingError("联系日期不能早于结对开始日期", "contacted_on")
    try:
        way_enum = ContactWay(way)
    except ValueError:
        raise PairingError("请选择联系方式", "way") from None
    notes = _text(notes, "notes", "联系情况", 5, 2000)
    contact = PairingContact(pairing_id=pairing.id, contacted_on=contacted_on, way=way_enum, notes=notes,
                             recorded_by_id=user.id)
    db.session.add(contact)
    db.session.flush()
    audit.record("pairing.contact_added", pairing, user=user, contacted_on=contacted_on, way=way_enum.label)
    db.session.commit()
    return contact


def parse_hours(text: str) -> int:
    """Hours as typed ("2", "2.5") → tenths; raises PairingError."""
    try:
        hours = Decimal((text or "").strip())
    except InvalidOperation:
        raise PairingError("时长请填写数字，例如 2 或 2.5", "hours") from None
    if not hours.is_finite() or hours <= 0 or hours > MAX_HOURS:
        raise PairingError(f"时长应大于0、不超过{MAX_HOURS}小时", "hours")
    if hours != hours.quantize(Decimal("0.1")):
        raise PairingError("时长最多保留一位小数", "hours")
    return int(hours * 10)


def add_volunteer(user, *, staff_no: str, activity: str, served_on: date | None, hours: str, organizer: str,
                  today: date | None = None) -> VolunteerRecord:
    today = today or local_today()
    member = _member(staff_no, "staff_no", "党员")
    if not access.can_keep(user, member.branch):
        raise PairingError("只能登记本党组织党员的志愿服务", "staff_no")
    if member.id == user.member_id:
        raise PairingError("不能登记本人的志愿服务（回避），请由其他支委或上级登记", "staff_no")
    activity = _text(activity, "activity", "活动名称", 2, 100)
    served_on = _day(served_on, "served_on", "服务日期", today)
    tenths = parse_hours(hours)
    organizer = _text(organizer, "organizer", "组织单位", 0, 100)
    record = VolunteerRecord(member_id=member.id, organization_id=member.branch_id, activity=activity,
                             served_on=served_on, hours_tenths=tenths, organizer=organizer, recorded_by_id=user.id)
    db.session.add(record)
    db.session.flush()
    audit.record("volunteer.recorded", record, user=user, member=member.name, activity=activity,
                 served_on=served_on, hours=record.hours)
    db.session.commit()
    return record


def delete_volunteer(user, record: VolunteerRecord) -> None:
    if not access.can_keep(user, record.organization):
        raise PairingError("您不能删除该记录")
    audit.record("volunteer.deleted", record, user=user, member=record.member.name, activity=record.activity,
                 served_on=record.served_on, hours=record.hours)
    deleted = db.session.execute(VolunteerRecord.__table__.delete().where(VolunteerRecord.id == record.id)).rowcount
    if not deleted:
        db.session.rollback()
        raise AlreadyHandled()
    db.session.commit()
