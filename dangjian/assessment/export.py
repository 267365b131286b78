"""A year's 党建考核 grades as .xlsx (组织部's and 纪委's tables, a unit's own): one row per organization
in the list's scope and filters, in the tree's display order. Names, scores, grades and dates only:
never the self-evaluation, a 约谈's notes or a task's text."""
from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from ..models import OrgKind
from ..models.base import utcnow
from ..timeutil import to_local
from ..xlsx import streamed_sheet
from .grades import AssessmentGrade
from .models import AssessmentState

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ("党组织", "类型", "所属二级党组织", "状态", "自评得分", "得分", "等次", "评定日期", "整改任务（销号/下达）")
WIDTHS = (30, 12, 24, 10, 9, 8, 8, 12, 18)


def describe_filters(f: dict, units) -> str:
    parts = []
    if f.get("state"):
        parts.append(f"状态：{AssessmentState(f['state']).label}")
    if f.get("grade"):
        parts.append(f"等次：{AssessmentGrade(f['grade']).label}")
    if f.get("kind"):
        parts.append("层级：" + ("二级党组织" if f["kind"] == "secondary" else "党支部"))
    if f.get("unit"):
        unit = next((u for u in units if u.id == f["unit"]), None)
        if unit is not None:
            parts.append(f"单位：{unit.name}")
    return "；".join(parts) or "全部"


def _score(value):
    return float(value) if value is not None else None


def export_grades(cycle, assessments, filters_text: str, viewer, now: datetime | None = None) -> io.BytesIO:
    now = now or utcnow()
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "考核等次", HEADERS, WIDTHS, title=cycle.name)
    for a in assessments:
        o = a.organization
        parent = o.parent
        unit = parent.name if o.kind is OrgKind.BRANCH and parent is not None and parent.kind is OrgKind.SECONDARY \
            else ("（直属党支部）" if o.kind is OrgKind.BRANCH else "")
        graded = a.is_graded
        cells = [o.name, o.type_label, unit, a.state.label, _score(a.self_score),
                 _score(a.score) if graded else None, a.grade.label if graded and a.grade else "",
                 to_local(a.graded_at).date() if graded and a.graded_at else None,
                 f"{len(a.tasks) - len(a.open_tasks)}/{len(a.tasks)}" if a.tasks else ""]
        row = []
        for i, value in enumerate(cells):
            cell = WriteOnlyCell(ws, value=value)
            if i in (4, 5) and value is not None:
                cell.number_format = "0.0"
            elif i == 7 and value is not None:
                cell.number_format = "yyyy-mm-dd"
            row.append(cell)
        ws.append(row)
    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 12
    about.column_dimensions["B"].width = 70
    for key, value in (("考核", cycle.name), ("筛选", filters_text), ("导出人", f"{viewer.display_name}（{viewer.username}）"),
                       ("导出时间", to_local(now).strftime("%Y-%m-%d %H:%M:%S")),
                       ("说明", "依据《实施意见》三(一)1。本表只含得分、等次和整改任务数，不含自评材料、约谈记录和整改内容。"
                              "未评定的组织不显示得分和等次。")):
        about.append([key, value])
    out = io.BytesIO()
    wb.save(out)
    out.seek(0)
    return out
