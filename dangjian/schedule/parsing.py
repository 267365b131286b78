"""Reading calendar entries that 组织部 types or pastes: one entry per line, a date or a range,
then what it is, e.g.

    2026-10-01 至 2026-10-08 国庆节、中秋节
    2026-09-27 调休上班
    2026年10月10日 上班
    1月1日 元旦            (month and day only: the year of the page)

A line that says 上班/补班 is a 调休 working day; any other line is a holiday (放假). Dates may be
written 2026-10-01, 2026/10/1, 2026.10.1 or 2026年10月1日. Errors name the line; nothing is kept
from a paste with an error.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from ..dates import cn_day
from ..models import DayKind

MAX_LINES = 400
MAX_RANGE_DAYS = 100  # a winter or summer break fits
MAX_NAME = 50
WEEKDAYS = "一二三四五六日"

_FULL = r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_MONTH_DAY = r"(\d{1,2})\s*月\s*(\d{1,2})\s*日?"
_DATE = rf"(?:{_FULL}|{_MONTH_DAY})"
_LINE = re.compile(rf"^\s*(?P<a>{_DATE})(?:\s*(?:至|到|~|～|—|–|\s-\s)\s*(?P<b>{_DATE}))?(?P<rest>.*)$")
_WORK_WORDS = ("调休上班", "补班", "上班")
_HOLIDAY_WORDS = ("放假", "休息", "休假")


class CalendarInputError(ValueError):
    pass


@dataclass(frozen=True)
class Entry:
    day: date
    kind: DayKind
    name: str


def weekday_label(day: date) -> str:
    return "星期" + WEEKDAYS[day.weekday()]


def _to_date(text: str, year: int) -> date:
    full = re.fullmatch(_FULL, text.strip())
    if full:
        y, m, d = (int(x) for x in full.groups())
    else:
        m, d = (int(x) for x in re.fullmatch(_MONTH_DAY, text.strip()).groups())
        y = year
    return date(y, m, d)


def _kind_and_name(rest: str) -> tuple[DayKind, str]:
    text = rest.strip(" \t，,：:；;。")
    kind = DayKind.WORKDAY if any(w in text for w in _WORK_WORDS) else DayKind.HOLIDAY
    for word in _WORK_WORDS + _HOLIDAY_WORDS:
        text = text.replace(word, "")
    name = re.sub(r"^[\s，,：:；;（）()]+|[\s，,：:；;（）()。]+$", "", text)
    return kind, name


def range_entries(first: date, last: date | None, kind: DayKind, name: str) -> list[Entry]:
    """The days from `first` to `last` (inclusive) as entries. A 调休 working day must fall on a
    Saturday or Sunday (every other weekday already is one). Raises CalendarInputError."""
    last = last or first
    if last < first:
        raise CalendarInputError("结束日期不能早于开始日期")
    if (last - first).days + 1 > MAX_RANGE_DAYS:
        raise CalendarInputError(f"一次最多填写{MAX_RANGE_DAYS}天")
    if len(name) > MAX_NAME:
        raise CalendarInputError(f"名称不能超过{MAX_NAME}字")
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if kind is DayKind.WORKDAY:
        weekdays = [d for d in days if d.weekday() < 5]
        if weekdays:
            d = weekdays[0]
            raise CalendarInputError(f"{cn_day(d)}是{weekday_label(d)}，本来就是工作日，"
                                     "只有周六、周日才需要设为调休上班")
    return [Entry(d, kind, name) for d in days]


def parse_paste(text: str, year: int) -> list[Entry]:
    """Entries from pasted lines (blank lines and lines starting with # are skipped). A day that
    appears twice keeps its last line. Raises CalendarInputError naming the first bad line."""
    lines = (text or "").replace("\r\n", "\n").split("\n")
    if len(lines) > MAX_LINES:
        raise CalendarInputError(f"一次最多导入{MAX_LINES}行")
    out: dict[date, Entry] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _LINE.match(line)
        if not m:
            raise CalendarInputError(f"第{number}行「{line.strip()[:30]}」开头不是日期，请按「2026-10-01 国庆节」的格式填写")
        try:
            first = _to_date(m.group("a"), year)
            last = _to_date(m.group("b"), year) if m.group("b") else None
        except ValueError:
            raise CalendarInputError(f"第{number}行「{line.strip()[:30]}」中的日期不存在") from None
        kind, name = _kind_and_name(m.group("rest"))
        try:
            for entry in range_entries(first, last, kind, name):
                out[entry.day] = entry
        except CalendarInputError as exc:
            raise CalendarInputError(f"第{number}行：{exc}") from None
    if not out:
        raise CalendarInputError("没有读到任何日期，请每行填写一个日期或日期范围")
    return sorted(out.values(), key=lambda e: e.day)
