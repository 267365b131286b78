"""The 公示 period (e.g. 5 个工作日) on the school calendar (dangjian.workdays: 节假日 and 调休 as
组织部 keeps them in 校历). The per-cycle holiday lists of earlier versions were moved into the
school calendar by the migration that introduced it."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

from ... import workdays
from ...timeutil import local_zone


def publicity_period(published_on: date, working_days: int,
                     calendar: workdays.WorkCalendar | None = None) -> tuple[date, date]:
    """The first and last day of a 公示 of `working_days` working days published on `published_on`.

    The publication day counts when it is a working day; otherwise the period starts on the next
    working day. Weekends and holidays inside the period do not count; 调休 working days do.
    `calendar` defaults to the school calendar."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    cal = calendar if calendar is not None else workdays.load(published_on)
    first = cal.first_working_day(published_on)
    return first, cal.add_working_days(first, working_days - 1)


def end_of_local_day(day: date) -> datetime:
    """Local midnight after `day`, as the naive UTC datetime the database stores."""
    local = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=local_zone())
    return local.astimezone(timezone.utc).replace(tzinfo=None)
