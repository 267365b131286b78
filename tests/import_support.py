"""Building the .xlsx files the import tests upload, with openpyxl, as a party office would."""
from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import Workbook

from dangjian.org import idcard

ORG_HEADER = ["组织编码", "组织名称", "组织类型", "上级组织", "成立日期"]
MEMBER_HEADER = ["工号", "姓名", "性别", "身份证号", "所在支部", "人员类别", "党员类别", "入党日期", "转正日期",
                 "联系电话", "月缴党费"]
ACCOUNT_HEADER = ["账号", "姓名", "工号", "邮箱", "角色", "组织编码/名称", "开始日期", "结束日期"]


def write_xlsx(path: Path, sheets: dict, formats: dict | None = None) -> Path:
    """sheets: {title: [row, ...]} with rows as lists of cell values. formats: {(title, "A2"): "000000"}."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    for (title, ref), fmt in (formats or {}).items():
        wb[title][ref].number_format = fmt
    wb.save(path)
    return path


def member_row(n: int, branch: str, **kw) -> list:
    """A valid 党员 row in MEMBER_HEADER order: 工号 M0000n, born 1960–1979, joined 2005-07-01."""
    born = kw.pop("born", date(1960 + n % 20, 1 + n % 12, 1 + n % 28))
    gender = kw.pop("gender", "男" if n % 2 else "女")
    values = {"工号": f"M{n:05d}", "姓名": f"党员{n}", "性别": gender, "身份证号": idcard.make("610113", born, (n % 499) * 2 + (1 if gender == "男" else 0)),
              "所在支部": branch, "人员类别": "教职工", "党员类别": "正式党员", "入党日期": "2005-07-01",
              "转正日期": "2006-07-01", "联系电话": f"138{n:08d}", "月缴党费": "45.00"}
    values.update(kw)
    return [values[h] for h in MEMBER_HEADER]


def org_rows(secondaries: int = 3, branches_each: int = 3) -> list:
    """Secondary units S1.. and their staff branches S1B1.., codes as names' keys."""
    rows = []
    for s in range(1, secondaries + 1):
        rows.append([f"S{s}", f"第{s}学院党委", "二级党委", "", "2001-07-01"])
        for b in range(1, branches_each + 1):
            rows.append([f"S{s}B{b}", f"第{s}学院第{b}党支部", "教职工党支部", f"S{s}", "2002-07-01"])
    return rows
