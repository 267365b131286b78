"""Document jobs. A Document row exists before its job; jobs take the id and reload what they need.

The database is the truth and Redis only carries messages:

* `create_documents` adds pending rows in the caller's transaction and enqueues them after commit.
  If Redis is down then, the rows simply stay pending.
* `sweep` (run by `flask documents sweep` and the `flask ticker` loop) re-enqueues what went
  missing: pending rows never enqueued (or enqueued long ago), and rows left rendering by a worker
  that died.
* `render_document` can run twice (re-enqueued by the sweep, or by hand) and still leaves one file
  and one state change: it claims the row with a conditional UPDATE (pending → rendering) and does
  nothing when the claim fails. The archive refuses to overwrite, and the same document renders to
  the same bytes.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select, update

from ..after_commit import on_commit
from ..extensions import db
from ..models import Document, DocumentStatus
from ..models.base import utcnow
from ..queue import JobLog, background_job, current_job_id, enqueue
from ..workflow.statuses import DOCUMENT_STATUS

log = logging.getLogger(__name__)

#: RQ kills a render running longer than this (seconds).
RENDER_JOB_TIMEOUT = 120  # seconds; a 1–3 page form takes about 0.5 s with a warm worker


def archive_dir() -> str:
    return current_app.config["ARCHIVE_DIR"]


def create_documents(req, specs, user=None) -> list[Document]:
    """Add pending Document rows for `req` (in the caller's transaction); enqueue after commit.
    A spec with parts makes one document per part; a new render of a kind is a new version.
    A numbered spec's document takes its 文号 from the register here, in the same transaction
    (`user`: who issued it, for the register and the audit; None for the system)."""
    from . import numbers

    docs = []
    for spec in specs:
        parts = spec.parts(req) if spec.parts else [("", spec.title)]
        for part, title in parts:
            last = db.session.scalar(select(func.max(Document.version)).where(
                Document.request_id == req.id, Document.kind == spec.kind, Document.part == part))
            doc = Document(request_id=req.id, kind=spec.kind, part=part, title=title,
                           template=spec.template, version=(last or 0) + 1, status=DocumentStatus.PENDING)
            db.session.add(doc)
            docs.append(doc)
            if spec.numbered:
                db.session.flush()
                numbers.number_document(doc, spec.numbered, user=user)
    db.session.flush()
    on_commit(db.session, enqueue_documents, [d.id for d in docs])
    return docs


def _due_for_enqueue(cutoff):
    """Pending and not handed to Redis since `cutoff` (never, or its message was lost)."""
    return and_(Document.status == DocumentStatus.PENDING,
                or_(Document.enqueued_at.is_(None), Document.enqueued_at < cutoff))


def enqueue_documents(document_ids: list[int], cutoff=None) -> list[int]:
    """Hand render jobs to Redis; returns the ids enqueued.

    Each row is first marked enqueued with a conditional UPDATE, so two sweeps (or a sweep racing
    the approval's own enqueue) do not both enqueue it. If Redis is down, the mark is undone and the
    documents stay pending for the sweep. Never raises: this runs after the approval committed,
    and the approval must stand whatever happens to Redis.
    """
    enqueued = []
    for doc_id in document_ids:
        try:
            now = utcnow()
            with db.engine.begin() as conn:  # own connection: this runs after the caller's commit
                marked = conn.execute(
                    update(Document).where(Document.id == doc_id, _due_for_enqueue(cutoff or now))
                    .values(enqueued_at=now)).rowcount
            if not marked:
                continue
            try:
                job = enqueue(render_document, doc_id, description=f"render document {doc_id}")
            except Exception:
                with db.engine.begin() as conn:
                    conn.execute(update(Document).where(Document.id == doc_id, Document.enqueued_at == now)
                                 .values(enqueued_at=None))
                raise
        except Exception as exc:  # Redis (or the database) down: the sweep tries again later
            log.warning("document %s stays pending for the sweep: %s: %s", doc_id, type(exc).__name__, exc)
            continue
        log.info("document %s: enqueued as job %s", doc_id, job.id)
        enqueued.append(doc_id)
    return enqueued


def _find_spec(doc: Document):
    from ..workflow.definition import DOCUMENT_SPECS

    spec = DOCUMENT_SPECS.get(doc.kind)
    if spec is None:
        raise LookupError(f"未知的文档类型 {doc.kind!r}")
    return spec


def _error_text(exc: BaseException) -> str:
    """The error as the request page shows it: our PDF and archive errors are already Chinese."""
    from .render import PdfRenderError, plain_text
    from .storage import ArchiveConflict, UnsafeArchivePath

    if isinstance(exc, (PdfRenderError, ArchiveConflict, UnsafeArchivePath)):
        text = str(exc)
    else:
        # Anything else is a bug or a broken installation (a template missing): said in Chinese
        # for the administrator, with the exception's words but never markup; the traceback is
        # in the worker's log under the job id.
        text = f"生成 PDF 时出错，请系统管理员查看工作进程日志（{type(exc).__name__}：{plain_text(str(exc))[:300]}）"
    return f"{text}（任务 {current_job_id()}）"[:2000]


@background_job(queue="documents", timeout=RENDER_JOB_TIMEOUT)
def render_document(document_id: int) -> str:
    """The RQ job: render, archive with SHA-256, mark done.

    Returns the archive path, or "skipped" when the document was not pending (already done,
    failed, or being rendered by another run). A failure marks the row failed with the error and
    is re-raised, so RQ records it in its failed registry too.
    """
    from . import render, storage

    jlog = JobLog(log, {"document": document_id})
    claimed = DOCUMENT_STATUS.move(document_id, DocumentStatus.RENDERING, frm=DocumentStatus.PENDING,
                                   started_at=utcnow(), finished_at=None, error=None,
                                   attempts=Document.attempts + 1)
    db.session.commit()
    if claimed != 1:
        jlog.info("not pending, nothing to do")
        return "skipped"
    jlog.info("rendering")
    try:
        doc = db.session.get(Document, document_id)
        spec = _find_spec(doc)
        context = spec.context(doc)
        pdf = render.render_pdf(doc.template, context, archive_metadata(doc, context))
        relpath = spec.relpath(doc)
        sha256, size = storage.store(archive_dir(), relpath, pdf)
        done = DOCUMENT_STATUS.move(document_id, DocumentStatus.DONE, frm=DocumentStatus.RENDERING,
                                    storage_path=relpath, sha256=sha256, size=size, finished_at=utcnow(),
                                    error=None)
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        jlog.error("failed: %s: %s", type(exc).__name__, exc)
        try:
            DOCUMENT_STATUS.move(document_id, DocumentStatus.FAILED, frm=DocumentStatus.RENDERING,
                                 error=_error_text(exc), finished_at=utcnow())
            db.session.commit()
        except Exception:
            db.session.rollback()
            jlog.exception("could not record the failure; the sweep will find the row stuck")
        raise
    if not done:
        # The sweep took the row back (it thought the worker dead); the run it started stores
        # the same bytes at the same path and marks it done.
        jlog.warning("row was reset while rendering; leaving it to the newer run")
        return "skipped"
    jlog.info("rendered %s (%d bytes, sha256 %s)", relpath, size, sha256)
    return relpath


def archive_metadata(doc: Document, context: dict):
    """The PDF/A metadata of a document: title (with its 文号 or request number), the issuing
    committee as author, the kind and owner as subject, words to find it by, and its creation time
    (the row's, so a second render of the same version gives the same bytes)."""
    from ..web.masthead import issuer_names
    from .pdfa import ArchiveMetadata

    number = doc.doc_number or (doc.request.number if doc.request is not None else "")
    owner = ((context.get("req") or {}).get("cycle_name") if doc.request is None else None) or ""
    org = doc.request.organization.name if doc.request is not None else owner
    school, dept = issuer_names(current_app)
    return ArchiveMetadata(
        title=f"{doc.title}（{number}）" if number else doc.title,
        author=school or dept or "党建关怀系统",
        subject=" ".join(x for x in (doc.title, org, f"第{doc.version}版") if x),
        keywords=list(dict.fromkeys(x for x in (doc.title, number, doc.request.number if doc.request else "",
                                               org, str(doc.created_at.year)) if x)),
        created=doc.created_at)


def sweep(stuck_after: int | None = None) -> list[int]:
    """Re-enqueue documents that went missing; returns the ids enqueued.

    * rendering for longer than a job may run (its worker died): back to pending;
    * pending and never enqueued (Redis was down) or enqueued more than `stuck_after` seconds ago
      (the message was lost): enqueued again.
    Failed documents wait for `flask documents retry`: their cause needs fixing first.
    """
    if stuck_after is None:
        stuck_after = current_app.config["DOCUMENT_STUCK_AFTER_SECONDS"]
    now = utcnow()
    # RQ kills a horse at the job timeout and fails an abandoned job 60 s later.
    dead_cutoff = now - timedelta(seconds=render_document.timeout + 60)
    reset = DOCUMENT_STATUS.move_all(DocumentStatus.PENDING, frm=DocumentStatus.RENDERING,
                                     where=(Document.started_at < dead_cutoff,), enqueued_at=None)
    db.session.commit()
    if reset:
        log.warning("sweep: %d document(s) stuck in rendering put back to pending", reset)
    cutoff = now - timedelta(seconds=stuck_after)
    ids = list(db.session.scalars(
        select(Document.id).where(_due_for_enqueue(cutoff)).order_by(Document.id)))
    db.session.commit()  # end the read transaction before other connections write
    return enqueue_documents(ids, cutoff=cutoff) if ids else []


def retry_failed(document_id: int) -> bool:
    """Put a failed document back to pending (after its cause is fixed) and enqueue it.

    Returns False when the document is not failed. If Redis is down it stays pending for the sweep.
    """
    changed = DOCUMENT_STATUS.move(document_id, DocumentStatus.PENDING, frm=DocumentStatus.FAILED,
                                   enqueued_at=None, error=None, finished_at=None)
    db.session.commit()
    if changed:
        enqueue_documents([document_id])
    return bool(changed)


def failed_document_ids() -> list[int]:
    return list(db.session.scalars(select(Document.id).where(Document.status == DocumentStatus.FAILED)
                                   .order_by(Document.id)))
