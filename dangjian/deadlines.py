"""整改期限: one definition of "overdue" for every 整改任务 (党建考核's and 巡察/监督检查's).

A 整改期限 is a DATE the unit is given ("于X月X日前完成整改"), not a time limit counted in working
days like an approval step's (workdays.py: "5 个工作日内"). So:

- the deadline day itself is still in time; the task is overdue from the next day on;
- the days overdue are calendar days (节假日 and weekends count), from the day after the deadline.

Both modules compute with `days_past` and show `RULE` beside their figures, so a unit reads the
same rule in both places.
"""
from __future__ import annotations

from datetime import date

RULE = ("整改期限是一个日期：期限当天完成不算逾期，次日起计为逾期；逾期天数按自然日计算（节假日、周末照常计算），"
        "不同于审批环节按工作日计算的办理时限。")


def days_past(deadline: date, today: date) -> int:
    """Calendar days after `deadline` up to `today` (0 on or before the deadline)."""
    return max((today - deadline).days, 0)
