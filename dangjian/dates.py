"""How dates and times are written, everywhere: pages, messages, exports and documents.

The rule (one place; the Jinja filters of web/__init__.py are these functions: `date` = day, `dt` =
stamp, `dt_short` = short_stamp, `hm` = clock, `ymd` = cn_day, `ym` = cn_month):
- **Lists, tables, cards, field values and timestamps** — anything a reader scans or compares in a
  column — use numerals with hyphens: `day()` 2026-08-16, `stamp()` 2026-08-16 14:05. Excel exports
  write the same, their 导出时间 with seconds. Where a column is too narrow for the year (the step
  bar) `short_stamp()` 11-30 15:27; a moment minutes away, `clock()` 15:27.
- **Prose and documents** — a sentence in a page, a message or an e-mail, an error, a confirmation
  question, and every PDF — use Chinese: `cn_day()` 2026年8月16日, `cn_month()` 2026年8月. Arabic
  numerals without leading zeros, as GB/T 9704 writes the 成文日期. A page that shows a document's
  date for a reader to compare with the paper (/verify, a 表彰决定's 成文日期) writes it as printed.
- **Months** are periods (党费 months, 起止年月), not points in time: always `cn_month()` 2026年8月.

Datetimes are stored in naive UTC and written in the university's time zone; dates are calendar
dates and are written as they are.
"""
from __future__ import annotations

from datetime import date, datetime

from .timeutil import to_local


def _local(value):
    return to_local(value) if isinstance(value, datetime) else value


def day(value: date | datetime | None) -> str:
    """2026-08-16 (a datetime: its local date)."""
    value = _local(value)
    return f"{value.year:04d}-{value.month:02d}-{value.day:02d}" if value else ""


def stamp(value: datetime | None) -> str:
    """2026-08-16 14:05, local time."""
    return to_local(value).strftime("%Y-%m-%d %H:%M") if value else ""


def short_stamp(value: datetime | None) -> str:
    """11-30 15:27: the step bar's narrow columns only (the timeline below gives the full stamp)."""
    return to_local(value).strftime("%m-%d %H:%M") if value else ""


def clock(value: datetime | None) -> str:
    """15:27, local time: a moment within the next minutes (an account locked until …)."""
    return to_local(value).strftime("%H:%M") if value else ""


def cn_day(value: date | datetime | None) -> str:
    """2026年8月16日 (a datetime: its local date)."""
    value = _local(value)
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def cn_month(value: date | datetime | None) -> str:
    """2026年8月."""
    value = _local(value)
    return f"{value.year}年{value.month}月" if value else ""
