"""整改任务 as .xlsx: the rows the list shows (the user's scope and filters), with a 说明 sheet."""
from __future__ import annotations

import tempfile
from datetime import date, datetime

from openpyxl import Workbook

from ..deadlines import RULE
from ..timeutil import to_local
from ..xlsx import streamed_sheet

HEADERS = ["年度", "检查计划", "被检查单位", "问题性质", "问题描述", "整改责任单位", "整改要求", "整改期限", "状态",
           "逾期天数", "销号日期"]
WIDTHS = [8, 28, 24, 10, 50, 24, 40, 12, 10, 10, 12]


def tasks_xlsx(tasks, filters: list[tuple[str, str]], viewer, exported_at: datetime, today: date):
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "整改任务", HEADERS, WIDTHS)
    count = 0
    for t in tasks:
        f = t.finding
        ws.append([f.plan.year, f.plan.title, f.organization.name, f.severity.label, f.text, t.owner.name,
                   t.requirement, t.deadline.isoformat(), t.state.label, t.overdue_days(today) or None,
                   t.closed_on.isoformat() if t.closed_on else None])
        count += 1
    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 70
    for key, value in [("导出人", f"{viewer.display_name}（{viewer.username}）"),
                       ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")), *filters,
                       ("逾期天数", "待整改或已退回且已过整改期限的天数。" + RULE), ("说明", "本次导出已记入审计日志。")]:
        about.append([key, value])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, count
