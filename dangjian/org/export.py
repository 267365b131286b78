"""The member list, with its current search and filters, as an .xlsx (openpyxl write-only mode: rows
are streamed from the database and written as they come, so memory stays flat for 10,000 members).
身份证号 and 联系电话 are masked: the full numbers leave the system only one at a time, with a
reason, through the audited reveal."""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from ..extensions import db
from ..models import OrgKind
from ..timeutil import local_today
from ..xlsx import streamed_sheet

HEADERS = ("姓名", "性别", "工号/学号", "身份证号", "所在党支部", "所属二级党组织", "人员类别", "党员类别",
           "入党日期", "转正日期", "出生日期", "联系电话", "民族", "学历", "工作岗位", "月缴党费（元）",
           "党籍状态", "状态日期", "老党员", "老模范", "困难情况", "困难情况说明")
WIDTHS = (10, 5, 14, 22, 28, 22, 8, 10, 12, 12, 12, 15, 8, 10, 16, 12, 9, 12, 7, 7, 16, 30)


def _secondary_name(branch) -> str:
    parent = branch.parent
    return parent.name if parent is not None and parent.kind is OrgKind.SECONDARY else "（直属党支部）"


def member_row(m, today) -> list:
    return [
        m.name, m.gender, m.staff_no, m.id_number_masked, m.branch.name, _secondary_name(m.branch),
        m.person_category.label, m.member_category.label, m.joined_party_on, m.full_member_on, m.birth_date,
        m.phone_masked, m.ethnicity, m.education, m.post, float(m.monthly_dues),
        m.status.label, m.status_on, "是" if m.is_old_member else "", "是" if m.is_model_worker else "",
        "、".join(m.difficulty_labels), m.difficulty_reason,
    ]


def members_xlsx(query, title: str) -> bytes:
    """The workbook for select(Member) `query` (member_query of the list's filter)."""
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "党员名册", HEADERS, WIDTHS, title=title)
    today = local_today()
    date_cols = {8, 9, 10, 17}
    for m in db.session.scalars(query.execution_options(yield_per=500)):
        row = member_row(m, today)
        cells = []
        for i, value in enumerate(row):
            cell = WriteOnlyCell(ws, value=value)
            if i in date_cols and value is not None:
                cell.number_format = "yyyy-mm-dd"
            elif i == 15:
                cell.number_format = "0.00"
            cells.append(cell)
        ws.append(cells)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
