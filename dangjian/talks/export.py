"""The compliance view as .xlsx: one sheet per duty (branch secretaries by semester, leaders by
year, 入党/转正 talks by semester), one row per person due, with the status and the date of the talk. Dates, names and statuses
only: never a talk's content."""
from __future__ import annotations

import tempfile
from datetime import datetime

from openpyxl import Workbook

from ..timeutil import to_local
from ..xlsx import streamed_sheet
from .compliance import Compliance


def write_xlsx(c: Compliance, viewer, exported_at: datetime):
    wb = Workbook(write_only=True)
    title = f"{c.unit.name} {c.semester.label} 党支部书记谈心谈话完成情况"
    ws = streamed_sheet(wb, "支部书记谈心", ["二级党组织", "党支部", "支部书记/支委", "党员", "工号/学号", "状态", "谈话日期"],
                        [24, 28, 20, 12, 14, 8, 12], title=title)
    for row in c.branches:
        unit = row.branch.secondary_unit
        for d in row.items:
            ws.append([unit.name if unit else "直属党支部", row.branch.name, "、".join(row.secretaries),
                       d.member.name, d.member.staff_no, d.status_label,
                       d.done_on.isoformat() if d.done_on else ""])
    ws2 = streamed_sheet(wb, "联系领导谈心", ["领导", "联系点", "谈话对象", "所在党支部", "状态", "谈话日期"],
                         [14, 30, 12, 28, 8, 12], title=f"{c.unit.name} {c.year.label} 联系领导谈心谈话完成情况")
    for row in c.leaders:
        for d in row.items:
            ws2.append([row.leader.display_name, d.target, d.member.name, d.member.branch.name, d.status_label,
                        d.done_on.isoformat() if d.done_on else ""])
    ws3 = streamed_sheet(wb, "入党转正谈话", ["二级党组织", "党支部", "党员", "工号/学号", "谈话类别", "入党/转正日期", "状态", "谈话日期"],
                         [24, 28, 12, 14, 10, 14, 8, 12], title=f"{c.unit.name} {c.semester.label} 入党、转正谈话完成情况")
    for row in c.branches:
        unit = row.branch.secondary_unit
        for o in row.occasions:
            ws3.append([unit.name if unit else "直属党支部", row.branch.name, o.member.name, o.member.staff_no,
                        o.kind.label, o.event_on.isoformat(), o.status_label, o.done_on.isoformat() if o.done_on else ""])
    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 70
    bc, lc, oc = c.branch_counts, c.leader_counts, c.occasion_counts
    for key, value in [
            ("单位", c.unit.name), ("学期", f"{c.semester.label}（{c.semester.start} 至 {c.semester.end}）"),
            ("支部书记谈心", f"应谈 {bc.total} 人，已谈 {bc.done}，待谈 {bc.due}，逾期 {bc.overdue}"),
            ("联系领导谈心", f"{c.year.label}应谈 {lc.total} 人，已谈 {lc.done}，待谈 {lc.due}，逾期 {lc.overdue}"),
            ("入党转正谈话", f"本学期入党或转正 {oc.total} 人，已谈 {oc.done}，待谈 {oc.due}，逾期 {oc.overdue}"),
            ("统计日期", c.today.isoformat()),
            ("导出人", f"{viewer.display_name}（{viewer.username}）"),
            ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")),
            ("说明", "依据《实施意见》三(二)1：党支部书记每学期至少与本支部每一名党员谈心一次；校级党员领导干部每年至少同分管"
                   "中层干部或党支部书记谈心一次；新党员入党、预备党员转正，所在党组织负责人与其谈心一次（本学期入党或转正的党员，"
                   "以谈话类别为「入党」「转正」的记录为准）。退休、出国（境）谈话可以记录，但党员信息中没有相应日期，不统计应谈。"
                   "本表只含谈话日期和人员，不含谈话内容。")]:
        about.append([key, value])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out
