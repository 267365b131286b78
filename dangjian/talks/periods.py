"""The periods the talk duties run over: semesters for a branch secretary, calendar years for a
leader (§三(二)1: "党支部书记每学期…", "校级党员领导干部每年…").

The school calendar (dangjian/schedule) records holidays and 调休 days, not terms, so a semester is
the usual split: 春季学期 February–July, 秋季学期 August–January (it belongs to the year it starts in:
"2026年秋季学期" runs from 2026-08-01 to 2027-01-31).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Period:
    key: str  # "2026-spring", "2026-autumn", "2026"
    label: str
    start: date
    end: date  # inclusive

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def ended_by(self, today: date) -> bool:
        return today > self.end

    def days_left(self, today: date) -> int:
        return (self.end - today).days


def semester(year: int, half: str) -> Period:
    if half == "spring":
        return Period(f"{year}-spring", f"{year}年春季学期", date(year, 2, 1), date(year, 7, 31))
    if half == "autumn":
        return Period(f"{year}-autumn", f"{year}年秋季学期", date(year, 8, 1), date(year + 1, 1, 31))
    raise ValueError(half)


def semester_of(day: date) -> Period:
    if day.month == 1:
        return semester(day.year - 1, "autumn")
    return semester(day.year, "spring" if day.month <= 7 else "autumn")


def previous_semester(p: Period) -> Period:
    return semester_of(p.start - timedelta(days=1))


def year_period(year: int) -> Period:
    return Period(str(year), f"{year}年度", date(year, 1, 1), date(year, 12, 31))


_KEY = re.compile(r"^(\d{4})-(spring|autumn)$")


def parse_semester(key: str | None, today: date) -> Period:
    """The semester a query string names ("2026-spring"), or the current one for anything else."""
    m = _KEY.match(key or "")
    if m and 2000 <= int(m.group(1)) <= today.year + 1:
        return semester(int(m.group(1)), m.group(2))
    return semester_of(today)


def recent_semesters(today: date, count: int = 6) -> list[Period]:
    """The current semester and the ones before it, newest first (the compliance page's choices)."""
    out = [semester_of(today)]
    while len(out) < count:
        out.append(previous_semester(out[-1]))
    return out


def semesters_of_year(year: int) -> list[Period]:
    """The semesters that start in `year` (spring, then autumn)."""
    return [semester(year, "spring"), semester(year, "autumn")]
