"""The document archive as 组织部 and 纪委 browse it: by year, kind and organization, and a year
(or part of it) as one ZIP with a manifest.

Only finished documents (已生成) are listed, every version of each. A request's documents are
listed through the viewer's scope (``visible_requests``, without 抄送: the same rule as a
download); an award cycle's documents (公示, 表彰决定) are published to everyone. The year is the
local calendar year in which the document was made.

The ZIP is streamed while it is built (PDFs are stored, not deflated: they are compressed
already), so a year of files never sits in memory or on disk. Each file is read once and checked
against its SHA-256 on the way: a file changed or lost on disk is left out and the manifest says
so. The manifest (``manifest.csv``, UTF-8 with BOM for Excel) is the last entry, one line per
document: file, 文号, request number, SHA-256, version, date, then title, organization and a note.
"""
from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import Document, DocumentStatus, Organization, Request
from ..scope import visible_requests
from ..timeutil import local_today, local_zone, to_local
from . import storage

MANIFEST_NAME = "manifest.csv"
MANIFEST_HEADER = ["文件", "文号", "申请编号", "SHA-256", "版本", "日期", "标题", "单位", "备注"]


def kind_labels() -> dict[str, str]:
    """Document kinds and their titles (审批表, 公示, 表彰决定, 核定通知 …), from the registered specs."""
    from ..workflow.definition import DOCUMENT_SPECS

    return {kind: spec.title for kind, spec in sorted(DOCUMENT_SPECS.items(), key=lambda kv: kv[1].title)}


@dataclass(frozen=True)
class ArchiveFilters:
    year: int
    kind: str = ""
    org: int | None = None

    @classmethod
    def from_args(cls, args) -> tuple["ArchiveFilters", dict[str, str]]:
        """The filters from a query string, and a Chinese error per value that could not be used
        (that filter is then left out, or the year is the current one)."""
        errors: dict[str, str] = {}
        year = local_today().year
        raw = (args.get("year") or "").strip()
        if raw:
            if raw.isdigit() and 2000 <= int(raw) <= 2100:
                year = int(raw)
            else:
                errors["year"] = "年度应为 2000–2100 之间的年份"
        kind = args.get("kind") or ""
        if kind and kind not in kind_labels():
            errors["kind"] = "没有这种文件类型"
            kind = ""
        org = None
        raw = (args.get("org") or "").strip()
        if raw:
            if raw.isdigit() and db.session.get(Organization, int(raw)) is not None:
                org = int(raw)
            else:
                errors["org"] = "没有这个党组织"
        return cls(year=year, kind=kind, org=org), errors

    def query_args(self) -> dict:
        args: dict = {"year": self.year}
        if self.kind:
            args["kind"] = self.kind
        if self.org:
            args["org"] = self.org
        return args

    def as_detail(self) -> dict:
        return {k: v for k, v in (("year", self.year), ("kind", self.kind), ("org", self.org)) if v}


def _utc_bounds(year: int) -> tuple[datetime, datetime]:
    """The local calendar year as naive-UTC bounds (the database stores naive UTC)."""
    def utc(y):
        return datetime(y, 1, 1, tzinfo=local_zone()).astimezone(timezone.utc).replace(tzinfo=None)
    return utc(year), utc(year + 1)


def documents_stmt(user, f: ArchiveFilters):
    """The finished documents `user` may open, filtered, newest first."""
    start, end = _utc_bounds(f.year)
    in_scope = or_(Document.request_id.in_(select(Request.id).where(visible_requests(user, copies=False))),
                   Document.award_cycle_id.is_not(None))
    stmt = (select(Document)
            .where(Document.status == DocumentStatus.DONE, in_scope,
                   Document.created_at >= start, Document.created_at < end)
            .options(joinedload(Document.request).joinedload(Request.organization))
            .order_by(Document.created_at.desc(), Document.id.desc()))
    if f.kind:
        stmt = stmt.where(Document.kind == f.kind)
    if f.org:
        under = select(Organization.path).where(Organization.id == f.org).scalar_subquery()
        stmt = stmt.where(Document.request_id.in_(
            select(Request.id).where(Request.organization_id.in_(
                select(Organization.id).where(Organization.path.startswith(under))))))
    return stmt


def years_with_documents() -> list[int]:
    """From the first year with a finished document to this year, newest first (at least this year)."""
    first = db.session.scalar(select(func.min(Document.created_at)).where(Document.status == DocumentStatus.DONE))
    this_year = local_today().year
    first_year = min(to_local(first).year, this_year) if first else this_year
    return list(range(this_year, first_year - 1, -1))


@dataclass(frozen=True)
class ArchivedFile:
    """What the ZIP needs of one document, read before streaming starts."""

    name: str  # its path inside the ZIP
    storage_path: str
    sha256: str
    doc_number: str
    request_number: str
    version: int
    date: str
    title: str
    organization: str


def archived_files(docs: list[Document]) -> list[ArchivedFile]:
    """One entry per document, with a file name unique inside the ZIP:
    ``<申请编号 or 表彰>/<download name>``."""
    files, used = [], set()
    for doc in docs:
        folder = doc.request.number if doc.request is not None else f"表彰评选-{doc.award_cycle_id}"
        name = f"{folder}/{doc.download_name}"
        if name in used:  # two parts of one request with the same title
            stem = name.removesuffix(".pdf")
            name = f"{stem}-{doc.part or doc.id}.pdf"
        used.add(name)
        files.append(ArchivedFile(
            name=name, storage_path=doc.storage_path, sha256=doc.sha256, doc_number=doc.doc_number or "",
            request_number=doc.request.number if doc.request is not None else "", version=doc.version,
            date=to_local(doc.created_at).date().isoformat(), title=doc.title,
            organization=doc.request.organization.name if doc.request is not None else ""))
    return files


class _Sink(io.RawIOBase):
    """A write-only stream that hands out what was written since the last `take`."""

    def __init__(self):
        super().__init__()
        self._chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, b) -> int:
        self._chunks.append(bytes(b))
        return len(b)

    def take(self) -> bytes:
        out, self._chunks = b"".join(self._chunks), []
        return out


def zip_stream(files: list[ArchivedFile], archive_dir: str, on_mismatch=None) -> Iterator[bytes]:
    """The ZIP's bytes, chunk by chunk: each checked file, then the manifest.

    `on_mismatch(file, reason)` is called for a file left out (changed or missing on disk)."""
    sink = _Sink()
    rows = []
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for f in files:
            note = ""
            try:
                data = storage.open_archived(archive_dir, f.storage_path).read_bytes()
            except (OSError, storage.UnsafeArchivePath):
                data, note = None, "归档文件缺失，未收入"
            if data is not None and hashlib.sha256(data).hexdigest() != f.sha256:
                data, note = None, "归档文件校验失败（SHA-256 不符），未收入"
            if data is None:
                if on_mismatch is not None:
                    on_mismatch(f, note)
            else:
                day = datetime.fromisoformat(f.date)
                info = zipfile.ZipInfo(f.name, date_time=(day.year, day.month, day.day, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED
                zf.writestr(info, data)
            rows.append([f.name if data is not None else "", f.doc_number, f.request_number, f.sha256,
                         f.version, f.date, f.title, f.organization, note])
            yield sink.take()
        zf.writestr(MANIFEST_NAME, manifest_csv(rows))
    yield sink.take()


def manifest_csv(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MANIFEST_HEADER)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
