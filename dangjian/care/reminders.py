"""每年复核 reminders through the notifications (kind care_review_due), sent by `flask ticker`.

An entry in the registry (在册) whose review date has passed is reminded once per review period: the
round claims it with a conditional UPDATE (`review_reminded_for` set to its `review_due_on`) in the
transaction that writes the messages, so a second round or a second ticker sends nothing, and a
review (the date moves a year on) opens the next period. Told: the secretaries of the member's branch
and the level that reviews it (the secondary unit; 组织部 for a 直属党支部), each once per round, with
a count and the earliest date — never a name or the hardship (the text may go out by e-mail). Nobody
is told about their own entry.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

from flask import current_app, url_for
from sqlalchemy import or_, select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..dates import cn_day as _ymd
from ..extensions import db
from ..models import Member, Role, RoleAssignment, User
from ..models.base import utcnow
from ..notifications import notify_people
from ..timeutil import to_local
from .models import EntryState, RegistryEntry

DEFAULT_REMIND_HOUR = 8


def _not_reminded():
    return or_(RegistryEntry.review_reminded_for.is_(None),
               RegistryEntry.review_reminded_for != RegistryEntry.review_due_on)


def _holders(role: Role, org_id: int | None, today: date) -> list[User]:
    query = (select(User).join(RoleAssignment, RoleAssignment.user_id == User.id)
             .where(RoleAssignment.role == role, RoleAssignment.in_effect(today), User.active.is_(True)))
    if org_id is not None:
        query = query.where(RoleAssignment.organization_id == org_id)
    return list(db.session.scalars(query.distinct().order_by(User.id)))


def recipients_of(member: Member, today: date, cache: dict) -> list[User]:
    """The branch's secretaries and the reviewing level's holders (回避: not the member themself)."""
    branch = member.branch
    key = branch.id
    if key not in cache:
        unit = branch.secondary_unit
        people = _holders(Role.BRANCH_SECRETARY, branch.id, today)
        people += _holders(Role.SECONDARY, unit.id, today) if unit is not None else _holders(Role.ORG_DEPT, None, today)
        cache[key] = list(dict.fromkeys(people))
    return [u for u in cache[key] if u.member_id != member.id]


def send_review_reminders(today: date) -> int:
    """One round: returns how many entries were reminded."""
    due = db.session.scalars(
        select(RegistryEntry).where(RegistryEntry.state == EntryState.CONFIRMED, RegistryEntry.review_due_on < today,
                                    _not_reminded())
        .options(selectinload(RegistryEntry.member).selectinload(Member.branch))
        .order_by(RegistryEntry.review_due_on, RegistryEntry.id)).all()
    told: dict[User, list[RegistryEntry]] = defaultdict(list)
    cache: dict = {}
    claimed = 0
    for entry in due:
        won = db.session.execute(
            update(RegistryEntry).where(RegistryEntry.id == entry.id, RegistryEntry.state == EntryState.CONFIRMED,
                                        RegistryEntry.review_due_on == entry.review_due_on, _not_reminded())
            .values(review_reminded_for=entry.review_due_on).execution_options(synchronize_session=False)).rowcount
        if won != 1:
            continue  # reviewed, closed or reminded by another round meanwhile
        claimed += 1
        people = recipients_of(entry.member, today, cache)
        for user in people:
            told[user].append(entry)
        audit.record("care.entry.review_reminded", entry, user=None, member_id=entry.member_id,
                     review_due_on=entry.review_due_on, recipients=len(people))
    if told:
        with current_app.test_request_context():
            link = url_for("care.registry", state="overdue")
        for user, entries in told.items():
            earliest = min(e.review_due_on for e in entries)
            text = (f"困难党员台账中有{len(entries)}名党员已超过每年复核日期（最早应于{_ymd(earliest)}复核），"
                    "请核实情况：仍需帮扶的由上级党组织复核，困难已解除的办理销号。")
            notify_people("care_review_due", [user], subject="困难党员台账年度复核提醒", text=text, link=link)
    db.session.commit()
    return claimed


def remind_reviews(now=None) -> str | None:
    """The ticker's task: from CARE_REMIND_HOUR (local, default 8) on, each round looks for entries
    newly overdue; the claim keeps it to once per entry and review period."""
    local_now = to_local(now or utcnow())
    if local_now.hour < current_app.config.get("CARE_REMIND_HOUR", DEFAULT_REMIND_HOUR):
        return None
    sent = send_review_reminders(local_now.date())
    return f"care review reminders: {sent}" if sent else None
