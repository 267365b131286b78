"""谈心谈话 reminders through the notifications (kind talk_due), sent by `flask ticker`.

Within REMIND_DAYS of a period's end, every branch secretary whose branch still has members without
a talk this semester (or members who joined or became full members this semester without their 入党
or 转正 talk), and every leader whose 联系点 still name people without a talk this year, is
told once per period: a TalkReminder row under a unique key, written in the transaction of the
message, so a second round or a second ticker sends nothing. The text gives counts and dates only
(it may go out by e-mail); e-mail follows each person's 消息设置.
"""
from __future__ import annotations

import logging

from flask import current_app, url_for
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import Organization, OrgKind
from ..models.base import utcnow
from ..notifications import notify_people
from ..timeutil import to_local
from . import compliance
from .models import TalkReminder
from .periods import semester_of, year_period

log = logging.getLogger(__name__)

REMIND_DAYS = 30
DEFAULT_REMIND_HOUR = 8
_last_round: dict = {}  # the local day the ticker last looked (one look a day per process)


def _send(user, period_key: str, count: int, text: str, link: str) -> bool:
    try:
        with db.session.begin_nested():
            db.session.add(TalkReminder(user_id=user.id, period=period_key, due_count=count))
            db.session.flush()
    except IntegrityError:
        return False  # already told this period
    notify_people("talk_due", [user], subject="谈心谈话提醒", text=text, link=link)
    audit.record("talk.reminded", user=None, recipient=user.display_name, period=period_key, due=count)
    return True


def _secretary_dues(row) -> str:
    """What a branch still owes this semester, as counts: the routine talks, then 入党/转正 talks."""
    parts = []
    if row.counts.due:
        parts.append(f"还有{row.counts.due}名党员尚未谈心谈话")
    if row.occasion_counts.due:
        parts.append(f"{'另有' if parts else '还有'}{row.occasion_counts.due}名本学期入党或转正的党员尚未进行入党、转正谈话")
    return "，".join(parts)


def send_talk_reminders(today) -> list[str]:
    """One round: returns the period keys reminded (for the log)."""
    sent = []
    school = db.session.scalar(select(Organization).where(Organization.kind == OrgKind.SCHOOL,
                                                          Organization.parent_id.is_(None)))
    if school is None:
        return sent
    sem = semester_of(today)
    with current_app.test_request_context():
        if 0 <= sem.days_left(today) <= REMIND_DAYS:
            for row in compliance.secretary_duties(school, sem, today):
                due = row.counts.due + row.occasion_counts.due
                if not due:
                    continue
                holders = compliance.secretaries_of([row.branch.id], today).get(row.branch.id, [])
                link = url_for("talks.compliance", unit_id=row.branch.id, semester=sem.key)
                text = f"{sem.label}「{row.branch.name}」" + _secretary_dues(row) + (
                    f"，学期于{sem.end.month}月{sem.end.day}日结束，请及时谈心并在系统中记录。")
                for user in holders:
                    if user.active and _send(user, f"secretary:{sem.key}:{row.branch.id}", due, text, link):
                        sent.append(f"secretary:{sem.key}:{row.branch.id}:{user.id}")
        year = year_period(today.year)
        if 0 <= year.days_left(today) <= REMIND_DAYS:
            for row in compliance.leader_duties(school, year, today):
                if not row.counts.due or not row.leader.active:
                    continue
                link = url_for("talks.compliance", unit_id=school.id, semester=semester_of(year.end).key)
                text = (f"{year.label}您联系的党员中还有{row.counts.due}人尚未谈心谈话，"
                        f"年度于12月31日结束，请及时谈心并在系统中记录。")
                if _send(row.leader, f"leader:{year.key}", row.counts.due, text, link):
                    sent.append(f"leader:{year.key}:{row.leader.id}")
    db.session.commit()
    return sent


def remind_talks(now=None) -> str | None:
    """The ticker's task: from REMIND_HOUR on, one look a day (the database key keeps it to once
    per period even with several tickers)."""
    local_now = to_local(now or utcnow())
    if local_now.hour < current_app.config.get("TALK_REMIND_HOUR", DEFAULT_REMIND_HOUR):
        return None
    if _last_round.get(current_app.name) == local_now.date():
        return None
    sent = send_talk_reminders(local_now.date())
    _last_round[current_app.name] = local_now.date()
    return f"talk reminders: {len(sent)}" if sent else None
