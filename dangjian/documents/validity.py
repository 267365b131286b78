"""Whether a generated document still stands: 有效, 已作废 or 已被新版本替代 (issue 9 §5).

The rule, in this order:

1. voided (``Document.voided_at``, set by :func:`void_document`): 已作废;
2. a newer version of the same document (same request or award cycle, kind and part) was
   generated (DONE): 已被新版本替代;
3. otherwise: 有效.

A voided or replaced file stays in the archive as it was: the /verify page still recognises it,
and says that it no longer stands. The 文号 register (issue 9 §2) voids the document of a number it
voids through :func:`void_document`.
"""
from __future__ import annotations

from sqlalchemy import select, update

from .. import audit
from ..extensions import db
from ..models import Document, DocumentStatus
from ..models.base import LabeledEnum, utcnow
from ..text_input import text_problem

#: Longest 作废原因 (Document.void_reason).
REASON_MAX = 200


class Validity(LabeledEnum):
    VALID = "valid", "有效"
    VOIDED = "voided", "已作废"
    SUPERSEDED = "superseded", "已被新版本替代"


class VoidRefused(ValueError):
    """A document cannot be voided as asked; the message is Chinese, for the page."""


def _same_document(doc: Document):
    """The versions of `doc`: the same owner (request or award cycle), kind and part."""
    owner = (Document.request_id == doc.request_id if doc.request_id is not None
             else Document.award_cycle_id == doc.award_cycle_id)
    return owner, Document.kind == doc.kind, Document.part == doc.part


def newer_version(doc: Document) -> Document | None:
    """The newest generated version after `doc`, or None."""
    return db.session.scalar(select(Document).where(
        *_same_document(doc), Document.version > doc.version, Document.status == DocumentStatus.DONE)
        .order_by(Document.version.desc()).limit(1))


def validity(doc: Document) -> Validity:
    if doc.voided_at is not None:
        return Validity.VOIDED
    if newer_version(doc) is not None:
        return Validity.SUPERSEDED
    return Validity.VALID


def void_document(doc: Document, reason: str, user) -> None:
    """作废: mark `doc` void with the reason, and write the audit row, in the caller's transaction
    (the caller commits, together with whatever made the document void).

    Refused (:class:`VoidRefused`) without a reason, with a reason too long or holding control
    characters, and when the document is already void: a conditional UPDATE, so two people voiding
    at once cannot both succeed or overwrite each other's reason.
    """
    reason = (reason or "").strip()
    if not reason:
        raise VoidRefused("请填写作废原因")
    if len(reason) > REASON_MAX:
        raise VoidRefused(f"作废原因不能超过{REASON_MAX}字")
    problem = text_problem("作废原因", reason, multiline=True, printed=False)
    if problem:
        raise VoidRefused(problem)
    now = utcnow()
    voided = db.session.execute(
        update(Document).where(Document.id == doc.id, Document.voided_at.is_(None))
        .values(voided_at=now, void_reason=reason)
        .execution_options(synchronize_session=False)).rowcount
    if not voided:
        raise VoidRefused(f"《{doc.title}》（第{doc.version}版）已作废，不能重复作废")
    db.session.expire(doc, ["voided_at", "void_reason"])
    audit.record("document.void", doc, user=user, title=doc.title, version=doc.version,
                 doc_number=doc.doc_number, reason=reason)
