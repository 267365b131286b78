"""Working days for the 公示 period (e.g. 5 个工作日).

A working day is Monday to Friday and not a listed holiday. This module is the one place that
decides it: a later change (a school-wide holiday calendar, 调休 make-up Saturdays) goes here.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from ...timeutil import local_zone


class HolidayError(ValueError):
    pass


def parse_holidays(text: str | None) -> set[date]:
    """One ISO date per line (or separated by commas/spaces): "2026-05-01". Raises HolidayError."""
    days = set()
    for token in (text or "").replace("，", ",").replace(",", " ").split():
        try:
            days.add(date.fromisoformat(token))
        except ValueError:
            raise HolidayError(f"「{token}」不是有效的日期，请按 2026-05-01 的格式填写") from None
    return days


def format_holidays(days) -> str:
    return "\n".join(d.isoformat() for d in sorted(days))


def is_working_day(day: date, holidays=frozenset()) -> bool:
    return day.weekday() < 5 and day not in holidays


def publicity_period(published_on: date, working_days: int, holidays=frozenset()) -> tuple[date, date]:
    """The first and last day of a 公示 of `working_days` working days published on `published_on`.

    The publication day counts when it is a working day; otherwise the period starts on the next
    working day. Weekends and holidays inside the period do not count.
    """
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day = published_on
    while not is_working_day(day, holidays):
        day += timedelta(days=1)
    first, counted = day, 1
    while counted < working_days:
        day += timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return first, day


def end_of_local_day(day: date) -> datetime:
    """Local midnight after `day`, as the naive UTC datetime the database stores."""
    local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=local_zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)
