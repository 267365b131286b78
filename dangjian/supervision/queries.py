"""The audit log's filters as SQL: one function builds the conditions, the page and the export use it.

Times are stored in naive UTC; the filter's dates are local calendar dates (Asia/Shanghai by
default), so a day runs from local midnight to the next local midnight.
"""
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable

from sqlalchemy import and_, false, func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import (Attachment, AuditEvent, Document, Member, MemberDuesRate, MemberTransfer, Organization,
                      Request, RoleAssignment, User)
from ..timeutil import local_zone
from . import actions


@dataclass(frozen=True)
class AuditFilters:
    person: str = ""  # 账号 or 姓名 (part of it)
    action: str = ""  # an action code, or "group:<key>" for a whole group
    object_type: str = ""  # a key of OBJECT_KINDS; empty with an object: a request number
    object: str = ""  # 编号, 工号, 账号, 组织编码, a name or an id, as the kind understands it
    date_from: date | None = None  # local dates, inclusive
    date_to: date | None = None

    def as_detail(self) -> dict:
        """The filters in use, for the audit row of a view or an export."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items() if v}

    def query_args(self) -> dict:
        return self.as_detail()

    @property
    def active(self) -> bool:
        return bool(self.as_detail())


def utc_start_of(day: date) -> datetime:
    """Local midnight at the start of `day`, as naive UTC (how times are stored)."""
    local = datetime.combine(day, time.min, tzinfo=local_zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def request_tables() -> set[str]:
    """Audit rows name a request by its type's table (dues_waivers, condolence_payments …)."""
    return {m.local_table.name for m in Request.__mapper__.self_and_descendants}


def _of(table, ids):
    return and_(AuditEvent.object_type == table, AuditEvent.object_id.in_(ids))


# --- objects -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Resolved:
    condition: object  # a SQL condition on AuditEvent
    found: bool
    note: str  # what the filter matched, or why nothing


def _ids(stmt) -> list[int]:
    return list(db.session.scalars(stmt.limit(200)))


def _by_id(model, text: str) -> list[int]:
    return _ids(select(model.id).where(model.id == int(text))) if text.isdigit() else []


def _resolve_request(text: str) -> Resolved:
    ids = _ids(select(Request.id).where(func.upper(Request.number) == text.upper())) or _by_id(Request, text)
    if not ids:
        return Resolved(false(), False, f"没有编号为「{text}」的申请")
    cond = or_(and_(AuditEvent.object_type.in_(request_tables()), AuditEvent.object_id.in_(ids)),
               _of("documents", select(Document.id).where(Document.request_id.in_(ids))),
               _of("attachments", select(Attachment.id).where(Attachment.request_id.in_(ids))))
    number = db.session.scalar(select(Request.number).where(Request.id == ids[0]))
    return Resolved(cond, True, f"申请 {number}（含其文件和附件的下载）")


def _resolve_member(text: str) -> Resolved:
    ids = _ids(select(Member.id).where(or_(Member.staff_no == text, Member.name == text))) or _by_id(Member, text)
    if not ids:
        return Resolved(false(), False, f"没有工号/学号或姓名为「{text}」的党员")
    cond = or_(_of("members", ids),
               _of("member_transfers", select(MemberTransfer.id).where(MemberTransfer.member_id.in_(ids))),
               _of("member_dues_rates", select(MemberDuesRate.id).where(MemberDuesRate.member_id.in_(ids))))
    return Resolved(cond, True, f"党员「{text}」" + (f"（{len(ids)} 人同名）" if len(ids) > 1 else ""))


def _resolve_user(text: str) -> Resolved:
    ids = _ids(select(User.id).where(or_(User.username == text, User.display_name == text))) or _by_id(User, text)
    if not ids:
        return Resolved(false(), False, f"没有账号或姓名为「{text}」的账号")
    cond = or_(_of("users", ids),
               _of("role_assignments", select(RoleAssignment.id).where(RoleAssignment.user_id.in_(ids))))
    return Resolved(cond, True, f"账号「{text}」（含其角色的授予和撤销）")


def _resolve_organization(text: str) -> Resolved:
    ids = (_ids(select(Organization.id).where(or_(Organization.code == text, Organization.name == text)))
           or _by_id(Organization, text))
    if not ids:
        return Resolved(false(), False, f"没有组织编码或名称为「{text}」的党组织")
    return Resolved(_of("organizations", ids), True, f"党组织「{text}」")


def _resolve_document(text: str) -> Resolved:
    ids = _by_id(Document, text)
    if not ids:
        return Resolved(false(), False, f"没有序号为「{text}」的文件")
    return Resolved(_of("documents", ids), True, f"文件 #{text}")


def _resolve_award_cycle(text: str) -> Resolved:
    from ..request_types.award_nomination.model import AwardCycle
    ids = _ids(select(AwardCycle.id).where(AwardCycle.name == text)) or _by_id(AwardCycle, text)
    if not ids:
        return Resolved(false(), False, f"没有名称或序号为「{text}」的表彰评选")
    return Resolved(_of("award_cycles", ids), True, f"表彰评选「{text}」")


@dataclass(frozen=True)
class ObjectKind:
    label: str
    placeholder: str
    resolve: Callable[[str], Resolved]


OBJECT_KINDS: dict[str, ObjectKind] = {
    "request": ObjectKind("申请", "申请编号，如 DF-2026-0007", _resolve_request),
    "member": ObjectKind("党员", "工号/学号或姓名", _resolve_member),
    "user": ObjectKind("账号", "账号或姓名", _resolve_user),
    "organization": ObjectKind("党组织", "组织编码或名称", _resolve_organization),
    "document": ObjectKind("文件", "文件序号", _resolve_document),
    "award_cycle": ObjectKind("表彰评选", "评选名称或序号", _resolve_award_cycle),
}


def resolve_object(kind: str, text: str) -> Resolved:
    """Without a kind, the text is a request number (the object 纪委 asks about most)."""
    return OBJECT_KINDS.get(kind or "request", OBJECT_KINDS["request"]).resolve(text)


# --- the query -----------------------------------------------------------------------------

def conditions(f: AuditFilters) -> tuple[list, str | None]:
    """The SQL conditions of the filters, and a note on what the object filter matched."""
    conds, note = [], None
    if f.person:
        pattern = _like(f.person)
        people = select(User.id).where(or_(User.username.ilike(pattern, escape="\\"),
                                           User.display_name.ilike(pattern, escape="\\")))
        # A failed sign-in has no user; its detail keeps the account name that was tried.
        tried = json.dumps({"username": f.person}, ensure_ascii=False)[1:-1]
        conds.append(or_(AuditEvent.user_id.in_(people),
                         and_(AuditEvent.user_id.is_(None), AuditEvent.action.startswith("auth."),
                              AuditEvent.detail.like(_like(tried), escape="\\"))))
    if f.action.startswith("group:"):
        prefixes = actions.GROUP_PREFIXES.get(f.action[len("group:"):], ())
        conds.append(or_(*[AuditEvent.action.startswith(p) for p in prefixes]) if prefixes else false())
    elif f.action:
        conds.append(AuditEvent.action == f.action)
    if f.object:
        resolved = resolve_object(f.object_type, f.object)
        conds.append(resolved.condition)
        note = resolved.note
    elif f.object_type:
        kind_tables = {"request": request_tables(), "member": {"members"}, "user": {"users"},
                       "organization": {"organizations"}, "document": {"documents"},
                       "award_cycle": {"award_cycles"}}[f.object_type]
        conds.append(AuditEvent.object_type.in_(kind_tables))
    if f.date_from:
        conds.append(AuditEvent.created_at >= utc_start_of(f.date_from))
    if f.date_to:
        conds.append(AuditEvent.created_at < utc_start_of(f.date_to + timedelta(days=1)))
    return conds, note


NEWEST_FIRST = (AuditEvent.created_at.desc(), AuditEvent.id.desc())


def page(f: AuditFilters, number: int, per_page: int):
    conds, note = conditions(f)
    stmt = (select(AuditEvent).options(joinedload(AuditEvent.user))
            .where(*conds).order_by(*NEWEST_FIRST))
    return db.paginate(stmt, page=number, per_page=per_page, error_out=False), note


def export_rows(f: AuditFilters, batch: int = 1000):
    """Every matching row, newest first, in batches of plain rows (no ORM identity map grows):
    memory stays bounded however long the log is."""
    conds, _ = conditions(f)
    stmt = (select(AuditEvent.id, AuditEvent.created_at, AuditEvent.user_id, AuditEvent.action,
                   AuditEvent.object_type, AuditEvent.object_id, AuditEvent.ip, AuditEvent.detail,
                   User.username, User.display_name)
            .outerjoin(User, User.id == AuditEvent.user_id)
            .where(*conds).order_by(*NEWEST_FIRST))
    result = db.session.execute(stmt, execution_options={"yield_per": batch})
    yield from result.partitions()


def recorded_actions() -> list[str]:
    """The action codes present in the log (for codes that the registry does not know yet)."""
    return list(db.session.scalars(select(AuditEvent.action).distinct()))
