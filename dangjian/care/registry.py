"""困难党员台账 (§三(三)1): "做好对生活困难、独居、老弱病残等困难党员登记工作".

The life of an entry, as data (`TRANSITIONS`): the branch proposes (申报) → the secondary unit
(组织部 for a 直属党支部) confirms (确认, and the entry carries a yearly review date, 每年复核) or
returns it with a reason (退回) → the branch resubmits (重新提交) or withdraws (撤回). A confirmed
entry is reviewed once a year (复核: continue, the date moves a year on) and closed with a reason when
the hardship ends (销号); when the member dies or leaves the party (去世, 出党: a 党籍状态 change on
the member's page or by the Excel import), their open entry is closed by the system with that
reason, in the transaction of the status change (自动销号, `close_for_status`). Every move goes
through `ENTRY_STATUS` (workflow.statuses): a conditional UPDATE on the state and `version` (two
clicks cannot both win: 「该记录已被他人处理」), with a `RegistryEvent` (history, never overwritten)
and an audit row, in one transaction. Views parse input and call these functions; nothing here
touches `request` or `flash`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, uploads
from ..dates import cn_day as _ymd
from ..extensions import db
from ..models import Member, MemberStatus
from ..models.base import utcnow
from ..org.standing import beneficiary_refusal
from ..text_input import cleaned
from ..timeutil import local_today
from ..workflow.statuses import StatusMachine
from . import access
from .models import OPEN_STATES, CareFile, EntryState, HardshipCategory, RegistryEntry, RegistryEvent

SITUATION_MAX = 1000
REASON_MAX = 500
MAX_FILES = 10
FILE_KIND = "care"


class RegistryRefused(Exception):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


BRANCH, CONFIRMER, EITHER, SYSTEM = "branch", "confirmer", "either", "system"


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple
    target: EntryState
    actor: str
    reason_required: bool
    audit_code: str


TRANSITIONS = {t.action: t for t in (
    Transition("confirm", "确认", (EntryState.PROPOSED,), EntryState.CONFIRMED, CONFIRMER, False,
               "care.entry.confirmed"),
    Transition("return", "退回", (EntryState.PROPOSED,), EntryState.RETURNED, CONFIRMER, True,
               "care.entry.returned"),
    Transition("resubmit", "重新提交", (EntryState.RETURNED,), EntryState.PROPOSED, BRANCH, False,
               "care.entry.resubmitted"),
    Transition("withdraw", "撤回", (EntryState.PROPOSED, EntryState.RETURNED), EntryState.WITHDRAWN, BRANCH, False,
               "care.entry.withdrawn"),
    Transition("review", "复核：继续帮扶", (EntryState.CONFIRMED,), EntryState.CONFIRMED, CONFIRMER, False,
               "care.entry.reviewed"),
    Transition("close", "销号", (EntryState.CONFIRMED,), EntryState.CLOSED, EITHER, True,
               "care.entry.closed"),
    # Nobody clicks this: a 党籍状态 change (去世, 出党) takes it, see close_for_status.
    Transition("status_close", "自动销号", OPEN_STATES, EntryState.CLOSED, SYSTEM, True,
               "care.entry.closed_by_status"),
)}
EVENT_LABELS = {"propose": "申报", "migrate": "由原困难标记迁入", **{a: t.label for a, t in TRANSITIONS.items()}}
#: The states an entry may move between: the table above, by state (复核 keeps an entry 在册).
ENTRY_STATUS = StatusMachine(RegistryEntry, "该记录", {
    s: {t.target for t in TRANSITIONS.values() if s in t.sources} for s in EntryState
}, column="state", version="version")
HANDLED = "该记录已被他人处理，请刷新页面后查看"


def add_year(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def refusal(entry: RegistryEntry, user, action: str) -> str | None:
    """Why `user` may not take `action` on `entry` now, or None."""
    t = TRANSITIONS.get(action)
    if t is None:
        return "不支持此操作"
    if t.actor == SYSTEM:
        return "党员去世或出党时由系统自动销号，不能手工办理"
    wrong_state = ENTRY_STATUS.refusal(entry, t.sources, t.label)
    if wrong_state:
        return wrong_state
    member = entry.member
    branch, confirmer = access.is_branch_of(user, member), access.is_confirmer_of(user, member)
    allowed = {BRANCH: branch, CONFIRMER: confirmer, EITHER: branch or confirmer}[t.actor]
    if not allowed:
        who = {BRANCH: "党员所在党支部", CONFIRMER: access.confirming_level(member),
               EITHER: f"党员所在党支部或{access.confirming_level(member)}"}[t.actor]
        return f"只有{who}可以{t.label}"
    reason = access.self_refusal(user, member)
    if reason:
        return reason
    if t.actor == CONFIRMER and action in ("confirm", "return") and entry.proposed_by_id == user.id:
        return "您是该记录的申报人，按回避规定不能确认或退回，将由其他负责人办理"
    return None


def available_actions(entry: RegistryEntry, user) -> list[str]:
    return [a for a in TRANSITIONS if refusal(entry, user, a) is None]


def open_entry_of(member_id: int) -> RegistryEntry | None:
    return db.session.scalar(select(RegistryEntry).where(RegistryEntry.member_id == member_id,
                                                         RegistryEntry.state.in_(OPEN_STATES)))


def _clean_categories(codes) -> str:
    valid = [c.value for c in HardshipCategory if c.value in set(codes or ())]
    if not valid:
        raise RegistryRefused("请至少选择一项困难类别", "categories")
    return ",".join(valid)


def _clean_text(label: str, value: str | None, limit: int, field: str, required: bool = True) -> str:
    value, problem = cleaned(label, value, limit, required=required)
    if problem:
        raise RegistryRefused(problem, field)
    return value


def check_files(files) -> list:
    files, problem = uploads.check_batch(files, MAX_FILES)
    if problem:
        raise RegistryRefused(problem, "files")
    return files


def store_files(files, user, written: list[str], **owner) -> list[CareFile]:
    out = []
    for f in files:
        att = uploads.save(f, FILE_KIND, user, written)
        cf = CareFile(filename=att.filename, storage_path=att.storage_path, sha256=att.sha256, size=att.size,
                      content_type=att.content_type, uploaded_by_id=user.id, **owner)
        db.session.add(cf)
        out.append(cf)
    return out


def propose(user, member: Member, *, categories, situation: str, files=()) -> RegistryEntry:
    """申报: the branch proposes `member` for the registry. One open entry per member."""
    if member is None or not access.is_branch_of(user, member):
        raise RegistryRefused("只有党员所在党支部可以申报")
    reason = access.self_refusal(user, member) or beneficiary_refusal(member)
    if reason:
        raise RegistryRefused(reason)
    codes = _clean_categories(categories)
    situation = _clean_text("困难情况", situation, SITUATION_MAX, "situation")
    files = check_files(files)
    existing = open_entry_of(member.id)
    if existing is not None:
        raise RegistryRefused(f"{member.name}已在台账中（{existing.state.label}），不能重复申报")
    written: list[str] = []
    try:
        entry = RegistryEntry(member=member, state=EntryState.PROPOSED, version=1, categories=codes,
                              situation=situation, proposed_by_id=user.id, proposed_at=utcnow())
        db.session.add(entry)
        db.session.flush()
        store_files(files, user, written, entry_id=entry.id)
        db.session.add(RegistryEvent(entry_id=entry.id, action="propose", actor_id=user.id, from_state=None,
                                     to_state=EntryState.PROPOSED.value, categories=codes, situation=situation))
        audit.record("care.entry.proposed", entry, user=user, member_id=member.id, categories=codes,
                     files=len(files))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        uploads.discard(written)
        raise RegistryRefused(f"{member.name}已在台账中，不能重复申报") from None
    except Exception:
        db.session.rollback()
        uploads.discard(written)
        raise
    return entry


def act(entry: RegistryEntry, user, action: str, *, version: int | None, note: str = "", categories=None,
        situation: str | None = None, files=()) -> RegistryEntry:
    """Take `action` on `entry` for `user`, or raise RegistryRefused. `version` is the one the user's
    page showed: a page older than the record is refused, like a second click."""
    reason = refusal(entry, user, action)
    if reason:
        raise RegistryRefused(reason)
    t = TRANSITIONS[action]
    label = "理由" if t.reason_required else "意见"
    note = _clean_text(f"{t.label}{label}", note, REASON_MAX, "note", required=t.reason_required)
    today = local_today()
    values: dict = {}
    event: dict = {}
    if action == "confirm":
        values.update(confirmed_by_id=user.id, confirmed_on=today, review_due_on=add_year(today))
        event["review_due_on"] = values["review_due_on"]
    elif action == "review":
        values["review_due_on"] = add_year(today)
        event["review_due_on"] = values["review_due_on"]
    elif action == "close":
        values.update(closed_on=today, close_reason=note)
    elif action == "resubmit":
        values["categories"] = event["categories"] = _clean_categories(categories)
        values["situation"] = event["situation"] = _clean_text("困难情况", situation, SITUATION_MAX, "situation")
    files = check_files(files) if action == "resubmit" else []
    from_state = entry.state
    written: list[str] = []
    try:
        if ENTRY_STATUS.move(entry, t.target, frm=t.sources, seen_version=version or 0, **values) != 1:
            db.session.rollback()
            raise RegistryRefused(HANDLED)
        store_files(files, user, written, entry_id=entry.id)
        db.session.add(RegistryEvent(entry_id=entry.id, action=action, actor_id=user.id, from_state=from_state.value,
                                     to_state=t.target.value, note=note, **event))
        db.session.expire(entry)
        sync_member_flags(entry.member)
        audit.record(t.audit_code, entry, user=user, member_id=entry.member_id, from_state=from_state.value,
                     to_state=t.target.value, **{k: v for k, v in event.items() if k != "situation"})
        db.session.commit()
    except RegistryRefused:
        uploads.discard(written)
        raise
    except Exception:
        db.session.rollback()
        uploads.discard(written)
        raise
    db.session.expire(entry)
    return entry


# 党籍状态 that end a member's entry (plugins.member_status_changed → close_for_status).
CLOSING_STATUSES = (MemberStatus.DECEASED, MemberStatus.EXPELLED)


def close_for_status(member: Member, before: MemberStatus, user) -> RegistryEntry | None:
    """自动销号: `member` has died or left the party (member.status, member.status_on), so their open
    entry — proposed, returned or confirmed — is closed with that reason: a conditional UPDATE, a
    history row and an audit row, inside the caller's transaction (the status change; never
    committed here). Returns the entry closed, or None when the member had none open."""
    if member.status not in CLOSING_STATUSES:
        return None
    t = TRANSITIONS["status_close"]
    note = f"党员于{_ymd(member.status_on)}{member.status.label}，系统自动销号"
    for _ in range(3):  # a branch or the unit may move the entry at the same moment: read it again
        entry = open_entry_of(member.id)
        if entry is None:
            return None
        from_state = entry.state
        if ENTRY_STATUS.move(entry, t.target, frm=from_state, closed_on=member.status_on or local_today(),
                             close_reason=note) == 1:
            break
        db.session.expire(entry)
    else:
        from ..org.operations import OrgError  # the status change's own refusal: its page shows it
        raise OrgError("该党员的困难党员台账记录正被他人处理，请稍后重试")
    db.session.add(RegistryEvent(entry_id=entry.id, action=t.action, actor_id=getattr(user, "id", None),
                                 from_state=from_state.value, to_state=t.target.value, note=note))
    db.session.expire(entry)
    sync_member_flags(member)
    audit.record(t.audit_code, entry, user=user, member_id=member.id, from_state=from_state.value,
                 to_state=t.target.value, status=member.status.value, status_on=member.status_on)
    return entry


# Which of the member's three hardship flags each category sets (the flags are derived, never typed in).
FLAG_OF = {HardshipCategory.LIVING: "living_difficulty", HardshipCategory.ILLNESS: "living_difficulty",
           HardshipCategory.DISASTER: "living_difficulty", HardshipCategory.OTHER: "living_difficulty",
           HardshipCategory.ALONE: "lives_alone", HardshipCategory.FRAIL: "frail_sick_disabled"}


def sync_member_flags(member: Member) -> None:
    """Set the member's hardship flags (and 困难情况说明) from their confirmed entry, or clear them."""
    entry = db.session.scalar(select(RegistryEntry).where(RegistryEntry.member_id == member.id,
                                                          RegistryEntry.state == EntryState.CONFIRMED))
    flags = {FLAG_OF[c] for c in (entry.category_list if entry else ())}
    for name in ("living_difficulty", "lives_alone", "frail_sick_disabled"):
        setattr(member, name, name in flags)
    member.difficulty_reason = entry.situation if entry else ""


def confirmed_member_ids():
    """A sub-select: the members in the registry now (confirmed entries). The 七一/春节 campaign reads it."""
    return select(RegistryEntry.member_id).where(RegistryEntry.state == EntryState.CONFIRMED)


def confirmed_categories(member_ids) -> dict[int, str]:
    """member id → its confirmed entry's category labels (for the campaign's preview and 事由)."""
    if not member_ids:
        return {}
    rows = db.session.scalars(select(RegistryEntry).where(RegistryEntry.member_id.in_(list(member_ids)),
                                                          RegistryEntry.state == EntryState.CONFIRMED))
    return {e.member_id: e.category_labels for e in rows}
