"""The audit log as .xlsx: openpyxl's write-only workbook, fed in batches from a streamed query
and written to a temporary file, so memory stays bounded for any length of log."""
import tempfile
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment

from ..timeutil import to_local
from ..xlsx import streamed_sheet
from . import actions
from .present import detail_text, object_refs, person_text
from .queries import OBJECT_KINDS, AuditFilters, export_rows

HEADERS = ["时间（北京时间）", "操作人", "账号", "操作", "操作代码", "对象类型", "对象", "对象序号", "IP地址", "详情"]
WIDTHS = [20, 24, 16, 22, 26, 14, 34, 10, 16, 80]
# An .xlsx sheet holds 1,048,576 rows; leave room for the header.
MAX_ROWS = 1_048_000


def _describe(f: AuditFilters) -> list[tuple[str, str]]:
    rows = []
    if f.person:
        rows.append(("操作人", f.person))
    if f.action:
        rows.append(("操作", actions.label(f.action)))
    if f.object_type or f.object:
        kind = OBJECT_KINDS.get(f.object_type or "request")
        rows.append(("对象", f"{kind.label if kind else f.object_type} {f.object}".strip()))
    if f.date_from or f.date_to:
        rows.append(("日期", f"{f.date_from or '不限'} 至 {f.date_to or '不限'}"))
    return rows or [("筛选条件", "全部记录")]


def write_xlsx(f: AuditFilters, viewer, exported_at: datetime):
    """The workbook in a temporary file (positioned at 0) and the number of rows written."""
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "审计日志", HEADERS, WIDTHS)
    wrap = Alignment(wrap_text=True, vertical="top")
    count = 0
    truncated = False
    for batch in export_rows(f):
        refs = object_refs([(r.object_type, r.object_id) for r in batch], viewer=None)
        for r in batch:
            if count >= MAX_ROWS:
                truncated = True
                break
            ref = refs.get((r.object_type, r.object_id))
            detail = WriteOnlyCell(ws, value=detail_text(r.detail))
            detail.alignment = wrap
            ws.append([to_local(r.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                       person_text(r.username, r.display_name, r.action, r.detail), r.username or "",
                       actions.label(r.action), r.action, ref.kind if ref else "", ref.name if ref else "",
                       r.object_id, r.ip or "", detail])
            count += 1
        if truncated:
            break

    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 60
    facts = [("导出人", f"{viewer.display_name}（{viewer.username}）"),
             ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")),
             *_describe(f), ("记录条数", str(count)),
             ("说明", "按时间倒序排列；时间为北京时间。审计日志只能追加，不能修改或删除；本次导出已记入审计日志。")]
    if truncated:
        facts.append(("注意", f"超过 {MAX_ROWS} 条，只导出了最新的 {MAX_ROWS} 条，请缩小筛选范围分批导出。"))
    for key, value in facts:
        about.append([key, value])

    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, count
