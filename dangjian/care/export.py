"""困难党员台账 as .xlsx: the rows the viewer's list shows; the 困难情况 column only for a viewer who
may read every listed member's situation (access.may_see_all_private), never a partial column."""
from __future__ import annotations

import io

from openpyxl import Workbook

from ..dates import cn_day
from ..xlsx import streamed_sheet


def registry_xlsx(entries, private: bool, today, filtered: bool = False) -> bytes:
    wb = Workbook(write_only=True)
    headers = ["姓名", "工号/学号", "所在党支部", "二级党组织", "困难类别", "状态", "申报日期", "确认日期",
               "下次复核日期", "销号日期"]
    widths = [10, 14, 26, 22, 20, 8, 12, 12, 12, 12]
    if private:
        headers += ["困难情况", "销号原因"]
        widths += [50, 30]
    title = (f"困难党员台账（导出于{cn_day(today)}"
             + ("，按当前筛选条件" if filtered else "") + ("" if private else "；不含困难情况") + "）")
    ws = streamed_sheet(wb, "困难党员台账", headers, widths, title)
    for e in entries:
        m, branch = e.member, e.member.branch
        unit = branch.secondary_unit.name if branch.secondary_unit else "直属党支部"
        row = [m.name, m.staff_no, branch.name, unit, e.category_labels,
               e.state.label + ("（逾期未复核）" if e.review_overdue(today) else ""),
               e.proposed_at.date().isoformat(), e.confirmed_on.isoformat() if e.confirmed_on else "",
               e.review_due_on.isoformat() if e.review_due_on and e.state.value == "confirmed" else "",
               e.closed_on.isoformat() if e.closed_on else ""]
        if private:
            row += [e.situation, e.close_reason or ""]
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
