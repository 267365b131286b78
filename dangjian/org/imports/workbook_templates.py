"""The .xlsx templates offered for download: Chinese headers (required ones in red), an example row
(skipped on import if left unchanged), drop-down lists, text format for identifiers (so 工号 keep
their leading zeros and 身份证号 never turns into a number), and a 「说明」 sheet.

The member template carries two sheets, 「组织」 and 「党员」: the organizations of the file count as
known branches for its members, so a first load is one file.
"""
from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select

from ...extensions import db
from ...models import Organization, OrgKind
from . import accounts, members, organizations

LISTS_SHEET = "可选值"
DATA_ROWS = 5000  # how far down the drop-down lists and formats reach
FILENAMES = {"members": "党员名册导入模板.xlsx", "organizations": "组织导入模板.xlsx", "accounts": "账号与角色导入模板.xlsx"}
SHEETS = {
    "members": ((organizations.SHEET, organizations.COLUMNS, (organizations.EXAMPLE, organizations.EXAMPLE_BRANCH)),
                (members.SHEET, members.COLUMNS, (members.EXAMPLE,))),
    "organizations": ((organizations.SHEET, organizations.COLUMNS, (organizations.EXAMPLE, organizations.EXAMPLE_BRANCH)),),
    "accounts": ((accounts.SHEET, accounts.COLUMNS, (accounts.EXAMPLE,)),),
}
GENERAL = {
    "members": [
        "本模板用于首次载入或更新党员名册。「组织」表填写二级党组织和党支部，「党员」表填写党员；"
        "「党员」表的所在支部可以是系统中已有的支部，也可以是本文件「组织」表中的支部。",
        "已建好组织的，可以删除「组织」表或只留表头，只导入党员。",
        "名册中的困难情况列（生活困难、独居、老弱病残、困难情况说明）不会导入：" + members.HARDSHIP_NOTE,
    ],
    "organizations": ["本模板用于建立或更新二级党组织和党支部。"],
    "accounts": ["本模板用于批量建立登录账号并分配角色（系统管理员使用）。一人多个角色时写多行，账号相同。",
                 "新账号的初始密码在确认导入后只显示一次，请当场下发；用户首次登录须修改密码。"],
}
COMMON = [
    "表头（红色为新增时必填）请勿改名；列的顺序可以调整，多余的列会在预览中列出，不会导入。",
    "第2行是示例，导入前请删除或改写（原样保留的示例行会被跳过）。",
    "上传后先显示预览：每一行的结果（新增、更新、不变或错误）和错误所在的单元格。有错误时不会导入任何数据；"
    "改正后重新上传，确认后一次性全部写入。",
    "同一文件再次导入不会重复建立：党员按工号/学号匹配，组织按组织编码（没有编码时按名称）匹配，账号按账号匹配。",
    "空白单元格不会清除系统中已有的数据。",
    "日期可写作 2005-07-01、2005.07.01、2005/07/01 或 2005年7月1日。",
]
RED = Font(bold=True, color="C00000")
BOLD = Font(bold=True)
GREY = Font(italic=True, color="808080")
HEAD_FILL = PatternFill("solid", fgColor="FCE4E4")


def _lists(wb) -> dict:
    """A hidden sheet of the organizations that exist, for the drop-downs that name one."""
    orgs = list(db.session.scalars(select(Organization).where(Organization.dissolved_on.is_(None))
                                   .order_by(Organization.path)))
    groups = {
        "branch": [o.code or o.name for o in orgs if o.kind is OrgKind.BRANCH],
        "secondary": [o.code or o.name for o in orgs if o.kind is OrgKind.SECONDARY],
        "any": [o.code or o.name for o in orgs],
    }
    ws = wb.create_sheet(LISTS_SHEET)
    refs = {}
    for i, (key, values) in enumerate(groups.items(), start=1):
        letter = get_column_letter(i)
        ws.cell(1, i, {"branch": "现有党支部", "secondary": "现有二级党组织", "any": "现有组织"}[key])
        for j, value in enumerate(values, start=2):
            ws.cell(j, i, value)
        if values:
            refs[key] = f"'{LISTS_SHEET}'!${letter}$2:${letter}${len(values) + 1}"
    ws.sheet_state = "hidden"
    return refs


def _validation(column, refs: dict):
    if column.choices:
        dv = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"', allow_blank=True)
        dv.error, dv.errorTitle = f"请从下拉列表中选择{column.label}", column.label
        dv.showErrorMessage = True
        return dv
    ref = {"branch": refs.get("branch"), "parent": refs.get("secondary"), "org": refs.get("any")}.get(column.key)
    if ref:
        # A warning, not a stop: the value may also be an organization of this file, or a code.
        dv = DataValidation(type="list", formula1=ref, allow_blank=True, errorStyle="warning")
        dv.error, dv.errorTitle = "系统中没有这个组织；如果它在本文件的「组织」表中，可以继续。", column.label
        dv.showErrorMessage = True
        return dv
    return None


def _data_sheet(wb, title, columns, examples, refs):
    ws = wb.create_sheet(title)
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        cell = ws.cell(1, i, column.label)
        cell.font = RED if column.required else BOLD
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        if column.note:
            cell.comment = Comment(column.note, "党建关怀")
        ws.column_dimensions[letter].width = column.width
        fmt = {"identifier": "@", "id_number": "@", "date": "yyyy-mm-dd", "money": "0.00"}.get(column.kind, "@")
        ws.column_dimensions[letter].number_format = fmt
        for r, example in enumerate(examples, start=2):
            value = example.get(column.key, "")
            c = ws.cell(r, i, value if value != "" else None)
            c.font = GREY
            c.number_format = "@"
        dv = _validation(column, refs)
        if dv is not None:
            ws.add_data_validation(dv)
            dv.add(f"{letter}2:{letter}{DATA_ROWS}")
    ws.freeze_panes = "A2"
    return ws


def _instructions(ws, kind):
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 12
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 44
    ws.append([f"{FILENAMES[kind].removesuffix('.xlsx')} · 填写说明"])
    ws["A1"].font = Font(bold=True, size=14)
    for line in (*GENERAL[kind], *COMMON):
        ws.append(["", "", line])
        ws.cell(ws.max_row, 3).alignment = Alignment(wrap_text=True, vertical="top")
    for title, columns, _examples in SHEETS[kind]:
        ws.append([])
        ws.append([f"「{title}」表", "新增时必填", "说明", "也能识别的列名"])
        for c in ws[ws.max_row]:
            c.font = BOLD
            c.fill = HEAD_FILL
        for column in columns:
            choices = f"可选：{'、'.join(column.choices)}。" if column.choices else ""
            ws.append([column.label, "是" if column.required else "", choices + column.note, "、".join(column.aliases)])
            for c in ws[ws.max_row]:
                c.alignment = Alignment(wrap_text=True, vertical="top")


def build(kind: str) -> bytes:
    wb = Workbook()
    _instructions(wb.active, kind)
    wb.active.title = "说明"
    refs = _lists(wb)
    for title, columns, examples in SHEETS[kind]:
        _data_sheet(wb, title, columns, examples, refs)
    wb.move_sheet(LISTS_SHEET, offset=len(wb.sheetnames))
    out = BytesIO()
    wb.save(out)
    return out.getvalue()
