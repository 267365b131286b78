"""Document sizes (issue 9 §6): the bytes per page of each document kind, against the 150 KB ceiling
of a 1-page 审批表.

A document of every kind is made through the real workflows on a small database of its own
(tests/factories_documents.py, the world tests/test_pdfa.py checks) and rendered in this process by
the document job itself (render → PDF/A-2b → fonts re-subset → archive), so the figures are those
of the files users download. The render time per document is printed too (one process, warm after
the first document; the worker phase measures the real worker).
"""
from __future__ import annotations

import io
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

CEILING = 150 * 1024  # bytes: a 1-page 审批表 (issue 9 §6)


@dataclass
class KindSize:
    kind: str
    title: str
    pages: int
    size: int
    render_seconds: float

    @property
    def per_page(self) -> int:
        return self.size // max(self.pages, 1)


def measure(out: Path, log=print) -> list[KindSize]:
    from pypdf import PdfReader
    from sqlalchemy import select

    from dangjian import create_app
    from dangjian.documents import jobs
    from dangjian.extensions import db
    from dangjian.models import Document, DocumentStatus
    from tests.factories import build_org
    from tests.factories_documents import every_kind

    work = out / "documents"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'documents.sqlite3'}",
        # A Redis nobody listens on: the approvals' enqueue fails quietly and the rows stay pending
        # for this phase to render in-process.
        "REDIS_URL": "redis://127.0.0.1:1/0", "RQ_QUEUE": "bench-documents-sizes",
        "ARCHIVE_DIR": str(work / "archive"), "UPLOAD_DIR": str(work / "uploads"),
        "SECRET_KEY": "bench", "TESTING": True,
    })
    timings: dict[int, float] = {}

    def render_pending():
        ids = list(db.session.scalars(select(Document.id).where(Document.status == DocumentStatus.PENDING)))
        db.session.commit()
        for doc_id in ids:
            t = time.perf_counter()
            jobs.render_document(doc_id)
            timings[doc_id] = time.perf_counter() - t
        db.session.expire_all()

    with app.app_context():
        db.create_all()
        log("==> document sizes: a document of every kind through the real workflows")
        docs = every_kind(build_org(), render_pending)
        results = []
        for doc in docs:
            if doc.status is not DocumentStatus.DONE:
                log(f"    {doc.kind}: {doc.status.label} {doc.error or ''}")
                continue
            data = (Path(app.config["ARCHIVE_DIR"]) / doc.storage_path).read_bytes()
            results.append(KindSize(doc.kind, doc.title, len(PdfReader(io.BytesIO(data)).pages), len(data),
                                    timings.get(doc.id, 0.0)))
        db.session.remove()
    return results


def report_lines(sizes: list[KindSize]) -> list[str]:
    from . import report

    rows = []
    for s in sorted(sizes, key=lambda s: s.kind):
        target = f"≤ {CEILING // 1024} KB" if s.pages == 1 else "(info)"
        verdict = report.verdict(s.size <= CEILING) if s.pages == 1 else "—"
        rows.append([s.kind, s.title[:18], str(s.pages), f"{s.size:,}", f"{s.per_page:,}",
                     f"{s.render_seconds * 1000:.0f} ms", target, verdict])
    return ["", "Document sizes (PDF/A-2b, fonts re-subset; one of each kind):",
            report.table(["kind", "title", "pages", "bytes", "bytes/page", "render", "target", "result"], rows)]
