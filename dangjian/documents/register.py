"""Reading the 文号 register: the filters of its page (year, series, status, a search), the query,
and the .xlsx export. The operations that change it are in documents.numbers."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import DocKind, DocNumber, DocNumberSeries, Document, OrgKind
from ..timeutil import to_local
from ..xlsx import streamed_sheet
from .numbers import SERIES, all_series

STATUSES = {"valid": "有效", "void": "已作废"}
MAX_Q = 40
HEADERS = ["文号", "年份", "序号", "发文机关", "文种", "标题", "申请编号", "取号时间", "取号人", "状态",
           "作废时间", "作废人", "作废原因"]
WIDTHS = [24, 7, 7, 14, 8, 48, 16, 18, 14, 9, 18, 14, 40]


@dataclass
class Filters:
    year: int | None = None
    series: str = ""  # "<issuer>.<kind>", e.g. "school.decision"
    status: str = ""
    q: str = ""

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Unknown or malformed values are dropped (a bookmarked URL never errors)."""
        year = args.get("year", type=int)
        series = args.get("series", "")
        status = args.get("status", "")
        return cls(year=year if year and 1900 < year < 3000 else None,
                   series=series if series in series_keys() else "",
                   status=status if status in STATUSES else "",
                   q=(args.get("q") or "").strip()[:MAX_Q])

    @property
    def active(self) -> bool:
        return bool(self.year or self.series or self.status or self.q)

    def query_args(self) -> dict:
        return {k: v for k, v in (("year", self.year), ("series", self.series), ("status", self.status),
                                  ("q", self.q)) if v}

    def describe(self) -> list[tuple[str, str]]:
        labels = {s.key: s.label for s in all_series()}
        return [("年份", str(self.year) if self.year else "全部"),
                ("发文机关与文种", labels.get(self.series, "全部")),
                ("状态", STATUSES.get(self.status, "全部")),
                ("文号或标题含", self.q or "—")]


def series_keys() -> set[str]:
    return {f"{issuer.value}.{kind.value}" for issuer, kind in SERIES}


def query(f: Filters):
    stmt = (select(DocNumber).join(DocNumberSeries, DocNumberSeries.id == DocNumber.series_id)
            .options(joinedload(DocNumber.series), joinedload(DocNumber.issued_by), joinedload(DocNumber.voided_by),
                     joinedload(DocNumber.document).joinedload(Document.request)))
    if f.year:
        stmt = stmt.where(DocNumber.year == f.year)
    if f.series:
        issuer, kind = f.series.split(".", 1)
        stmt = stmt.where(DocNumberSeries.issuer == OrgKind(issuer), DocNumberSeries.kind == DocKind(kind))
    if f.status == "valid":
        stmt = stmt.where(DocNumber.voided_at.is_(None))
    elif f.status == "void":
        stmt = stmt.where(DocNumber.voided_at.is_not(None))
    if f.q:
        like = "%" + f.q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(DocNumber.number.like(like, escape="\\"), DocNumber.title.like(like, escape="\\")))
    # Newest year first; within a year, the series and its numbers in order (as a paper register).
    return stmt.order_by(DocNumber.year.desc(), DocNumberSeries.issuer, DocNumberSeries.kind, DocNumber.serial.desc())


def years() -> list[int]:
    return list(db.session.scalars(select(DocNumber.year).distinct().order_by(DocNumber.year.desc())))


def _who(user) -> str:
    return user.display_name if user is not None else "系统"


def write_xlsx(f: Filters, viewer, exported_at: datetime):
    """The register as filtered, one row per number (voided ones with who, when and why); returns
    (file, rows)."""
    wb = Workbook(write_only=True)
    ws = streamed_sheet(wb, "文号登记簿", HEADERS, WIDTHS)
    rows = 0
    for e in db.session.scalars(query(f)).unique():
        doc = e.document
        ws.append([e.number, e.year, e.serial, e.series.issuer.label, e.series.kind.label, e.title,
                   doc.request.number if doc is not None and doc.request is not None else "",
                   to_local(e.issued_at).strftime("%Y-%m-%d %H:%M"), _who(e.issued_by),
                   "已作废" if e.is_void else "有效",
                   to_local(e.voided_at).strftime("%Y-%m-%d %H:%M") if e.is_void else "",
                   _who(e.voided_by) if e.is_void else "", e.void_reason or ""])
        rows += 1
    about = wb.create_sheet("说明")
    about.column_dimensions["A"].width = 16
    about.column_dimensions["B"].width = 60
    for key, value in [("导出人", f"{viewer.display_name}（{viewer.username}）"),
                       ("导出时间", to_local(exported_at).strftime("%Y-%m-%d %H:%M:%S")), *f.describe(),
                       ("说明", "文号按发文机关、文种和年份连续编号；作废的文号保留在登记簿中，不再使用。本次导出已记入审计日志。")]:
        about.append([key, value])
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, rows
