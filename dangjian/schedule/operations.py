"""校历与办理时限: what 组织部 changes, each in one transaction with its audit row. No `request`,
no `flash`: the views parse input, call one of these, and render."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import audit, workdays
from ..extensions import db
from ..models import CalendarDay, DayKind, StepTimeLimit
from ..models.base import utcnow
from ..workflow.deadlines import MAX_LIMIT, MIN_LIMIT, step_catalog
from .parsing import CalendarInputError, Entry


class ConcurrentChange(CalendarInputError):
    def __init__(self):
        super().__init__("校历刚被他人修改，请刷新页面后重试")


def set_days(entries: list[Entry], user, source: str) -> dict[str, int]:
    """Write the entries (a day already listed takes the new kind and name). Returns the counts
    {"added", "changed", "unchanged"}; one audit row for the whole change."""
    if not entries:
        raise CalendarInputError("没有要保存的日期")
    days = [e.day for e in entries]
    existing = {d.day: d for d in db.session.scalars(select(CalendarDay).where(CalendarDay.day.in_(days)))}
    counts = {"added": 0, "changed": 0, "unchanged": 0}
    for e in entries:
        row = existing.get(e.day)
        if row is None:
            db.session.add(CalendarDay(day=e.day, kind=e.kind, name=e.name, created_by_id=user.id))
            counts["added"] += 1
        elif (row.kind, row.name) != (e.kind, e.name):
            row.kind, row.name = e.kind, e.name
            counts["changed"] += 1
        else:
            counts["unchanged"] += 1
    holidays = sum(1 for e in entries if e.kind is DayKind.HOLIDAY)
    audit.record("calendar.days_set", user=user, source=source, first=min(days), last=max(days),
                 holidays=holidays, workdays=len(entries) - holidays, **counts)
    try:
        db.session.commit()
    except IntegrityError:  # the same day added by someone else a moment ago
        db.session.rollback()
        raise ConcurrentChange() from None
    return counts


def remove_day(day_id: int, user) -> CalendarDay | None:
    """Remove one day (it becomes an ordinary day again). None when it is already gone."""
    row = db.session.get(CalendarDay, day_id)
    if row is None:
        return None
    audit.record("calendar.day_removed", row, user=user, day=row.day, kind=row.kind.value, name=row.name)
    db.session.delete(row)
    db.session.commit()
    return row


def set_limits(values: dict[tuple[str, str], int], user) -> list[str]:
    """Set the time limits (working days) of the steps in `values`; returns the changes, as
    「党费减免·党支部讨论：5→3」, for the message and the audit row."""
    known = {(key, s.key): (label, s.label) for key, label, steps in step_catalog() for s in steps}
    rows = {(r.request_type, r.step): r for r in db.session.scalars(select(StepTimeLimit))}

    changes = []
    now = utcnow()
    for (kind, step), n in values.items():
        if (kind, step) not in known:
            continue
        if not MIN_LIMIT <= n <= MAX_LIMIT:
            raise CalendarInputError(f"办理时限应为{MIN_LIMIT}–{MAX_LIMIT}个工作日")
        row = rows.get((kind, step))
        before = row.working_days if row else workdays.DEFAULT_LIMIT
        if row is None:
            if n == before:
                continue
            db.session.add(StepTimeLimit(request_type=kind, step=step, working_days=n, updated_by_id=user.id,
                                         updated_at=now))
        elif n != before:
            row.working_days, row.updated_by_id, row.updated_at = n, user.id, now
        else:
            continue
        type_label, step_label = known[(kind, step)]
        changes.append(f"{type_label}·{step_label}：{before}→{n}")
    if changes:
        audit.record("time_limits.set", user=user, changes=changes)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise CalendarInputError("办理时限刚被他人修改，请刷新页面后重试") from None
    return changes
