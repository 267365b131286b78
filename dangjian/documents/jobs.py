"""Document jobs. A Document row exists before its job; jobs take the id and reload what they need.

A job can run twice (re-enqueued by the sweep, or by hand) and still leaves one file and one state
change: it claims the row with a conditional UPDATE (pending → rendering) and does nothing when the
claim fails.
"""
from __future__ import annotations

import logging
import os
from datetime import timedelta

from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import func, or_, select, update

from ..after_commit import on_commit
from ..extensions import db
from ..models import Document, DocumentStatus
from ..models.base import utcnow

log = logging.getLogger(__name__)


def archive_dir() -> str:
    return current_app.config["ARCHIVE_DIR"]


def create_documents(req, specs) -> list[Document]:
    """Add pending Document rows for `req` (in the caller's transaction); enqueue after commit."""
    docs = []
    for spec in specs:
        last = db.session.scalar(select(func.max(Document.version))
                                 .where(Document.request_id == req.id, Document.kind == spec.kind))
        doc = Document(request_id=req.id, kind=spec.kind, title=spec.title, template=spec.template,
                       version=(last or 0) + 1, status=DocumentStatus.PENDING)
        db.session.add(doc)
        docs.append(doc)
    db.session.flush()
    on_commit(db.session, enqueue, [d.id for d in docs])
    return docs


def enqueue(document_ids: list[int]) -> bool:
    """Put render jobs on the queue. If Redis is down, the documents stay pending for the sweep."""
    from ..queue import documents_queue

    try:
        queue = documents_queue()
        for doc_id in document_ids:
            queue.enqueue(render_document, doc_id, job_timeout=current_app.config["DOCUMENT_JOB_TIMEOUT"],
                          description=f"render document {doc_id}")
    except RedisError as exc:
        log.warning("Redis unavailable, documents %s stay pending for the sweep: %s", document_ids, exc)
        return False
    # Recorded on a separate connection: this runs after the caller's commit.
    with db.engine.begin() as conn:
        conn.execute(update(Document).where(Document.id.in_(document_ids)).values(enqueued_at=utcnow()))
    return True


def _find_spec(doc: Document):
    for spec in type(doc.request).workflow.documents:
        if spec.kind == doc.kind:
            return spec
    raise LookupError(f"unknown document kind {doc.kind!r} for {type(doc.request).__name__}")


def render_document(document_id: int) -> str:
    """The RQ job: render, archive with SHA-256, mark done. Failures are recorded and re-raised."""
    from . import render, storage

    claimed = db.session.execute(
        update(Document)
        .where(Document.id == document_id, Document.status == DocumentStatus.PENDING)
        .values(status=DocumentStatus.RENDERING, started_at=utcnow(), attempts=Document.attempts + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if claimed != 1:
        log.info("document %s: not pending, nothing to do", document_id)
        return "skipped"
    try:
        doc = db.session.get(Document, document_id)
        spec = _find_spec(doc)
        pdf = render.render_pdf(spec.template, spec.context(doc))
        req = doc.request
        relpath = f"{req.created_at.year}/{req.number}/{doc.kind}-v{doc.version}.pdf"
        sha256, size = storage.store(archive_dir(), relpath, pdf)
        db.session.execute(
            update(Document)
            .where(Document.id == document_id, Document.status == DocumentStatus.RENDERING)
            .values(status=DocumentStatus.DONE, storage_path=relpath, sha256=sha256, size=size,
                    finished_at=utcnow(), error=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        log.info("document %s: rendered %s (%d bytes)", document_id, relpath, size)
        return relpath
    except Exception as exc:
        db.session.rollback()
        db.session.execute(
            update(Document)
            .where(Document.id == document_id, Document.status != DocumentStatus.DONE)
            .values(status=DocumentStatus.FAILED, error=f"{type(exc).__name__}: {exc}"[:2000],
                    finished_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        raise


def sweep(stuck_after: int | None = None) -> list[int]:
    """Re-enqueue documents that went missing: pending and never (or long ago) enqueued, and
    rendering for longer than a job can take (its worker died). Returns the ids re-enqueued."""
    stuck_after = stuck_after if stuck_after is not None else current_app.config["DOCUMENT_STUCK_AFTER_SECONDS"]
    now = utcnow()
    cutoff = now - timedelta(seconds=stuck_after)
    dead_cutoff = now - timedelta(seconds=current_app.config["DOCUMENT_JOB_TIMEOUT"] + 60)
    db.session.execute(
        update(Document)
        .where(Document.status == DocumentStatus.RENDERING, Document.started_at < dead_cutoff)
        .values(status=DocumentStatus.PENDING, enqueued_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ids = list(db.session.scalars(
        select(Document.id).where(Document.status == DocumentStatus.PENDING,
                                  or_(Document.enqueued_at.is_(None), Document.enqueued_at < cutoff))
        .order_by(Document.id)
    ))
    if ids and not enqueue(ids):
        return []
    return ids


def retry_failed(document_id: int) -> bool:
    """Put a failed document back to pending (after its cause is fixed) and enqueue it."""
    changed = db.session.execute(
        update(Document).where(Document.id == document_id, Document.status == DocumentStatus.FAILED)
        .values(status=DocumentStatus.PENDING, enqueued_at=None, error=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if changed:
        enqueue([document_id])
    return bool(changed)


def archived_path(doc: Document) -> str:
    return os.path.join(archive_dir(), doc.storage_path)
