"""A request list as .xlsx (导出Excel on 待办, 已办, 我发起的 and 申请查询): the filtered rows, in
pages from the database, through openpyxl's write-only sheet; personal fields masked."""
import tempfile
from datetime import datetime

from openpyxl import Workbook

from .dates import stamp as _time
from .extensions import db
from .timeutil import to_local
from .xlsx import streamed_sheet

HEADERS = ["编号", "类型", "标题", "状态", "所在组织", "发起人", "受益党员", "联系电话", "金额（元）",
           "当前环节", "提交时间", "创建时间"]
WIDTHS = [18, 12, 28, 10, 28, 14, 12, 14, 12, 18, 18, 18]
BATCH = 500
MAX_ROWS = 1_048_000


def write_xlsx(stmt, sheet: str, facts: list[tuple[str, str]], viewer, exported_at: datetime, extra=None):
    """The workbook (a temporary file at 0) and the number of rows; `stmt` is the filtered SELECT
    with its eager loads, read BATCH rows at a time. `extra`: one more column as (header, width,
    values) where values(batch) gives {request id: cell} for a batch of rows in one query (已办's
    「我的处理」)."""
    wb = Workbook(write_only=True)
    headers, widths = (HEADERS, WIDTHS) if extra is None else ([*HEADERS, extra[0]], [*WIDTHS, extra[1]])
    ws = streamed_sheet(wb, sheet, headers, widths)
    count = 0
    offset = 0
    while count < MAX_ROWS:
        batch = db.session.scalars(stmt.limit(min(BATCH, MAX_ROWS - count)).offset(offset)).all()
        if not batch:
            break
        cells = extra[2](batch) if extra is not None else None
        for r in batch:
            more = [cells.get(r.id, "")] if cells is not None else []
            ws.append([r.number, r.type_label, r.title, r.state.label, r.organization.name,
                       r.initiator.display_name, r.beneficiary.name if r.beneficiary else "",
                       r.beneficiary.phone_masked if r.beneficiary else "",
                       float(r.amount) if r.amount is not None else None,
                       r.current_step_label if r.current_step else "",
                       _time(r.submitted_at), _time(r.created_at), *more])
            count += 1
        offset += BATCH
        for r in batch:  # memory stays flat for any number of rows
            db.session.expunge(r)
    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 14
    about.column_dimensions["B"].width = 60
    for row in [("导出人", f"{viewer.display_name}（{viewer.username}）"),
                ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")), *facts,
                ("记录条数", str(count) + ("（已达上限，请缩小筛选范围分批导出）" if count >= MAX_ROWS else "")),
                ("说明", "身份证号不导出，联系电话已脱敏；时间为北京时间。本次导出已记入审计日志。")]:
        about.append(list(row))
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, count
