"""Working days on the school calendar (issue 8 §8): the one place that decides what a working day is.

A working day is Monday to Friday, minus the 节假日 组织部 lists, plus the 调休 Saturdays and
Sundays it lists as working days (models.CalendarDay). The 公示 period and every step deadline
count on it.

`WorkCalendar` does the arithmetic on the days it was given (no database), so a page that needs
many deadlines loads the calendar once (`load`) and computes each in memory. The module-level
functions load what they need themselves.

Counting convention: `add_working_days(d, n)` is the n-th working day after `d` (d itself never
counts, as in "5 个工作日内" from the day a step was reached), and `working_days_between(a, b)`
counts the working days after `a` up to and including `b`, so the two agree:
working_days_between(d, add_working_days(d, n)) == n.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

#: A step's time limit when 组织部 has set none (working days).
DEFAULT_LIMIT = 5


@dataclass(frozen=True)
class WorkCalendar:
    holidays: frozenset = field(default_factory=frozenset)  # weekdays off
    workdays: frozenset = field(default_factory=frozenset)  # 调休: weekend days worked

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n ≥ 0; n = 0 is `day` itself)."""
        if n < 0:
            raise ValueError("n must not be negative")
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative when b is before a."""
        if b < a:
            return -self.working_days_between(b, a)
        return sum(1 for i in range(1, (b - a).days + 1) if self.is_working_day(a + timedelta(days=i)))

    def first_working_day(self, day: date) -> date:
        """`day` when it is a working day, else the next one."""
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day


def load(start: date, end: date | None = None) -> WorkCalendar:
    """The school calendar from `start` (to `end`, inclusive; open-ended by default): one query."""
    from .extensions import db
    from .models import CalendarDay, DayKind

    stmt = select(CalendarDay.day, CalendarDay.kind).where(CalendarDay.day >= start)
    if end is not None:
        stmt = stmt.where(CalendarDay.day <= end)
    rows = db.session.execute(stmt).all()
    return WorkCalendar(holidays=frozenset(d for d, k in rows if k is DayKind.HOLIDAY),
                        workdays=frozenset(d for d, k in rows if k is DayKind.WORKDAY))


def is_working_day(day: date) -> bool:
    return load(day, day).is_working_day(day)


def add_working_days(day: date, n: int) -> date:
    return load(day).add_working_days(day, n)


def working_days_between(a: date, b: date) -> int:
    lo, hi = min(a, b), max(a, b)
    return load(lo, hi).working_days_between(a, b)
