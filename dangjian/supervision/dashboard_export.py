"""监督统计 as .xlsx: every figure of the page, one sheet each, and a 说明 sheet (who, when, which
organization and year, how it is counted). Numbers, units and types only: no names of people."""
from __future__ import annotations

import tempfile
from datetime import datetime

from openpyxl import Workbook

from .. import spending
from ..timeutil import to_local
from ..xlsx import streamed_sheet
from .dashboard import Dashboard
from .overdue_export import TABLE_HEADERS as STEP_HEADERS, TABLE_WIDTHS as STEP_WIDTHS

SCHOOL, UNIT = spending.SOURCES[spending.SCHOOL], spending.SOURCES[spending.UNIT]  # column names


def write_xlsx(d: Dashboard, viewer, exported_at: datetime):
    wb = Workbook(write_only=True)
    scope = f"{d.org.name} · {d.year}年"

    ws = streamed_sheet(wb, "申请情况", ["申请类型", *[s.label for s in d.states], "合计"],
                        [16, *[10] * len(d.states), 10], title=f"{scope} 申请（按类型和状态）")
    for t in d.types:
        ws.append([t.label, *[t.counts.get(s, 0) for s in d.states], t.total])
    ws.append(["合计", *[d.state_totals[s] for s in d.states], d.total])

    ws = streamed_sheet(wb, "经费支出", ["经费项目", f"{SCHOOL}（元）", f"{UNIT}（元）", "合计（元）", "校级已预留未支出（元）"],
                        [16, 16, 22, 16, 20], title=f"{scope} 经费支出（{SCHOOL}与{UNIT}）")
    for row in d.money.lines:
        ws.append([row.label, row.school, row.unit, row.total, d.reserved.get(row.key)])
    ws.append(["合计", d.money.school, d.money.unit, d.money.total, d.reserved_total])
    if d.budget:
        ws = streamed_sheet(wb, "年度预算", ["预算科目", "年度预算（元）", "已预留（元）", "已支出（元）", "余额（元）"],
                            [16, 16, 14, 14, 14], title=f"{d.year}年度校级预算")
        for line in d.budget:
            ws.append([line.kind.label, line.amount, line.reserved, line.spent, line.balance])

    ws = streamed_sheet(wb, "审批环节超期", STEP_HEADERS, STEP_WIDTHS, title=f"{scope} 到达的审批环节")
    for r in d.steps.rows:
        ws.append([r.org_name, r.type_label, r.step_label, r.limit, r.handled, r.handled_late, r.waiting, r.overdue,
                   r.average_delay, r.longest_delay])
    t = d.steps.totals
    ws.append(["合计", "", "", "", t["handled"], t["handled_late"], t["waiting"], t["overdue"], t["average_delay"],
               t["longest_delay"]])

    ws = streamed_sheet(wb, "各单位", ["单位", "申请数", f"{SCHOOL}（元）", f"{UNIT}（元）", "经费合计（元）", "当前超期环节"],
                        [30, 10, 16, 22, 16, 14], title=f"{scope} 各单位")
    for u in d.units:
        ws.append([u.label, u.requests, u.school, u.unit, u.spent, u.overdue])

    names = [t.label for t in d.types]
    ws = streamed_sheet(wb, "近五年", ["年度", *names, "合计", f"{SCHOOL}（元）", f"{UNIT}（元）", "经费合计（元）"],
                        [8, *[12] * len(names), 10, 16, 22, 16], title=f"{d.org.name} 近五年申请数和经费支出")
    for y in d.years:
        ws.append([y.year, *[y.counts.get(t.key, 0) for t in d.types], y.total, y.school, y.unit, y.spent])

    ws = streamed_sheet(wb, "其他监督指标", ["指标", "数值", "提示"], [36, 12, 10], title=f"{scope} 其他监督指标")
    for f in d.figures:
        ws.append([f["label"], f["value"], "需关注" if f.get("alert") else ""])

    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 80
    for key, value in [("导出人", f"{viewer.display_name}（{viewer.username}）"),
                       ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")),
                       ("组织", f"{d.org.name}（含下属党组织）"), ("年度", f"{d.year}年"),
                       ("统计日期", d.today.isoformat()),
                       ("申请", "年度内提交的申请（从未提交的草稿按创建日期），按导出人可查看的范围统计。"),
                       ("经费", "按发放日期计入年度：慰问金按走访日期，兼职支部书记补贴和表彰奖励按发放登记日期；"
                                f"{UNIT}为各二级党组织经费台账的支出（未冲销；经费来源为「本单位经费」的慰问金自动记入，只计一次）。"
                                "与党务公开「党费收缴和使用情况」口径一致。「校级已预留未支出」为当年校级预算科目下"
                                "为本组织申请预留（已批准）、尚未发放的金额。"),
                       ("审批环节", "年度内到达的审批环节，按学校校历和当前办理时限计算超期（同「超期统计」）。"),
                       ("说明", "本次导出已记入审计日志。")]:
        about.append([key, value])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out
