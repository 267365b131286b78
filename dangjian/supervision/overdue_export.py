"""超期统计 as .xlsx: the table by unit and step, the steps overdue now, and a 说明 sheet (who, when,
filters, how it is counted). No names of applicants or beneficiaries: numbers, units and steps."""
from __future__ import annotations

import tempfile
from datetime import datetime

from openpyxl import Workbook

from ..timeutil import to_local
from ..xlsx import streamed_sheet
from .overdue import Filters, Report

TABLE_HEADERS = ["单位", "申请类型", "审批环节", "办理时限（工作日）", "已办结", "其中超期办结", "当前待办", "其中已超期",
                 "平均超期（工作日）", "最长超期（工作日）"]
TABLE_WIDTHS = [30, 14, 20, 12, 10, 12, 10, 12, 14, 14]
ITEM_HEADERS = ["编号", "申请类型", "审批环节", "单位", "到达环节日期", "办理期限", "已超期（工作日）"]
ITEM_WIDTHS = [18, 14, 20, 30, 14, 14, 14]


def write_xlsx(report: Report, filters: Filters, viewer, exported_at: datetime):
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "超期统计", TABLE_HEADERS, TABLE_WIDTHS)
    for r in report.rows:
        ws.append([r.org_name, r.type_label, r.step_label, r.limit, r.handled, r.handled_late, r.waiting,
                   r.overdue, r.average_delay, r.longest_delay])
    t = report.totals
    ws.append(["合计", "", "", "", t["handled"], t["handled_late"], t["waiting"], t["overdue"], t["average_delay"],
               t["longest_delay"]])

    items = streamed_sheet(wb, "当前超期", ITEM_HEADERS, ITEM_WIDTHS)
    for i in report.items:
        items.append([i.number, i.type_label, i.step_label, i.org_name, i.entered_on.isoformat(),
                      i.due_on.isoformat(), i.overdue_days])

    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 70
    for key, value in [("导出人", f"{viewer.display_name}（{viewer.username}）"),
                       ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")),
                       ("统计日期", report.today.isoformat()), *filters.describe(),
                       ("计算方法", "环节办理期限＝到达环节之日起的办理时限个工作日（到达当天不计），按学校校历和当前办理时限计算；"
                                "办结晚于期限为超期办结，尚未办理且已过期限为当前超期；平均超期按超期的环节计算。"),
                       ("说明", "本次导出已记入审计日志。")]:
        about.append([key, value])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out
