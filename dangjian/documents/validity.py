"""Whether a generated document still stands: 有效, 已作废 or 已被新版本替代 (issue 9 §5).

The rule, in this order:

1. voided (``Document.voided_at``, set by :func:`void`): 已作废;
2. a newer version of the same document (same request or award cycle, kind and part) was
   generated (DONE): 已被新版本替代;
3. otherwise: 有效.

A voided or replaced file stays in the archive as it was: the /verify page still recognises it,
and says that it no longer stands. :func:`void` is the one way to void: from the archive (a
document) and from the 文号 register (issue 9 §2, a number) alike, so a number and the documents
that carry it are void together.
"""
from __future__ import annotations

from sqlalchemy import func, or_, select, update

from .. import audit
from ..extensions import db
from ..models import DocNumber, Document, DocumentStatus
from ..models.base import LabeledEnum, utcnow
from ..text_input import text_problem
from ..workflow.errors import WorkflowError

#: Longest 作废原因 (Document.void_reason).
REASON_MAX = 200


class Validity(LabeledEnum):
    VALID = "valid", "有效"
    VOIDED = "voided", "已作废"
    SUPERSEDED = "superseded", "已被新版本替代"


class VoidRefused(WorkflowError):
    """A document or a 文号 cannot be voided as asked; the message is Chinese, for the page (the field
    is the 作废原因's)."""

    def __init__(self, message: str, field: str | None = "reason"):
        super().__init__(message, field)


class AlreadyVoided(VoidRefused):
    """Voided already (by someone else, or a moment ago): nothing changed."""

    def __init__(self, message: str):
        super().__init__(message, field=None)


def same_document(doc: Document):
    """The versions of `doc`: the same owner (request or award cycle), kind and part."""
    owner = (Document.request_id == doc.request_id if doc.request_id is not None
             else Document.award_cycle_id == doc.award_cycle_id)
    return owner, Document.kind == doc.kind, Document.part == doc.part


def newer_version(doc: Document) -> Document | None:
    """The newest generated version after `doc`, or None."""
    return db.session.scalar(select(Document).where(
        *same_document(doc), Document.version > doc.version, Document.status == DocumentStatus.DONE)
        .order_by(Document.version.desc()).limit(1))


def validity(doc: Document) -> Validity:
    if doc.voided_at is not None:
        return Validity.VOIDED
    if newer_version(doc) is not None:
        return Validity.SUPERSEDED
    return Validity.VALID


def validities(docs) -> dict[int, Validity]:
    """{document id: its validity} for a list of documents (a page of the archive, a ZIP), in one
    query whatever their number: the newest generated version of each of their documents."""
    docs = list(docs)
    if not docs:
        return {}
    request_ids = {d.request_id for d in docs if d.request_id is not None}
    cycle_ids = {d.award_cycle_id for d in docs if d.request_id is None and d.award_cycle_id is not None}
    owners = []
    if request_ids:
        owners.append(Document.request_id.in_(request_ids))
    if cycle_ids:
        owners.append(Document.award_cycle_id.in_(cycle_ids))
    newest: dict = {}
    if owners:
        for r, c, k, p, v in db.session.execute(
                select(Document.request_id, Document.award_cycle_id, Document.kind, Document.part,
                       func.max(Document.version))
                .where(or_(*owners), Document.kind.in_({d.kind for d in docs}),
                       Document.status == DocumentStatus.DONE)
                .group_by(Document.request_id, Document.award_cycle_id, Document.kind, Document.part)):
            key = (r, None if r is not None else c, k, p)
            newest[key] = max(newest.get(key, v), v)
    out = {}
    for d in docs:
        key = (d.request_id, None if d.request_id is not None else d.award_cycle_id, d.kind, d.part)
        if d.voided_at is not None:
            out[d.id] = Validity.VOIDED
        elif newest.get(key, d.version) > d.version:
            out[d.id] = Validity.SUPERSEDED
        else:
            out[d.id] = Validity.VALID
    return out


def reason_problem(reason: str) -> str | None:
    """Why `reason` (stripped) cannot be a 作废原因, or None."""
    if not reason:
        return "请填写作废原因"
    if len(reason) > REASON_MAX:
        return f"作废原因不能超过{REASON_MAX}字（当前{len(reason)}字）"
    return text_problem("作废原因", reason, multiline=True, printed=False)


def number_of(doc: Document) -> DocNumber | None:
    """The register's entry of the 文号 that `doc` carries (taken by it or an earlier version)."""
    if not doc.doc_number:
        return None
    return db.session.scalar(
        select(DocNumber).where(DocNumber.number == doc.doc_number, DocNumber.document_id.in_(
            select(Document.id).where(*same_document(doc)))).order_by(DocNumber.id.desc()).limit(1))


def documents_of(entry: DocNumber) -> list[Document]:
    """Every version of the document that took the number and carries it."""
    if entry.document is None:
        return []
    return list(db.session.scalars(select(Document).where(*same_document(entry.document),
                                                          Document.doc_number == entry.number)
                                   .order_by(Document.version)))


def void(reason: str, user, *, document: Document | None = None, number: DocNumber | None = None) -> list[Document]:
    """作废, from the archive (`document`) or from the 文号 register (`number`): the one operation, so
    that a 文号 and the documents that carry it always agree.

    * A document without a 文号 (a 审批表) is voided alone.
    * A 文号 and every version of the document that carries it are voided together, whichever of
      the two was asked for: the number stays in the register with the reason, who and when, and is
      never issued again; /verify says 已作废 for each version (a version voided before keeps its own
      reason); the document's next version takes a new number.

    In the caller's transaction (the caller commits), with ONE audit row for what the user did:
    ``document.void`` from the archive, ``doc_number.void`` from the register, each naming the number
    and the documents voided. Conditional UPDATEs: two people voiding at once cannot both succeed or
    overwrite each other's reason (:class:`AlreadyVoided`). Refused (:class:`VoidRefused`) without a
    reason, with one too long or holding control characters. Returns the documents voided now.
    """
    if (document is None) == (number is None):
        raise TypeError("void() takes a document or a number")
    reason = (reason or "").replace("\r\n", "\n").strip()
    problem = reason_problem(reason)
    if problem:
        raise VoidRefused(problem)
    now = utcnow()
    entry = number if number is not None else number_of(document)
    if entry is not None:
        changed = db.session.execute(
            update(DocNumber).where(DocNumber.id == entry.id, DocNumber.voided_at.is_(None))
            .values(voided_at=now, voided_by_id=user.id, void_reason=reason)
            .execution_options(synchronize_session=False)).rowcount
        if not changed and document is None:
            raise AlreadyVoided(f"文号 {entry.number} 已经作废，请刷新后查看")
        db.session.expire(entry, ["voided_at", "voided_by_id", "void_reason"])
    if document is not None:
        # The document asked for first: when someone voided it a moment ago, nothing changes.
        if not _void_rows([document.id], now, reason):
            raise AlreadyVoided(f"《{document.title}》（第{document.version}版）已作废，不能重复作废")
    carrying = documents_of(entry) if entry is not None else [document]
    others = [d.id for d in carrying if document is None or d.id != document.id]
    voided_ids = sorted(([document.id] if document is not None else []) + _void_rows(others, now, reason))
    for d in carrying:
        db.session.expire(d, ["voided_at", "void_reason"])
    voided = [d for d in carrying if d.id in voided_ids]
    if document is not None:
        audit.record("document.void", document, user=user, title=document.title, version=document.version,
                     doc_number=document.doc_number, reason=reason, documents=voided_ids)
    else:
        audit.record("doc_number.void", entry, user=user, number=entry.number, title=entry.title, reason=reason,
                     documents=voided_ids)
    return voided


def _void_rows(ids: list[int], now, reason: str) -> list[int]:
    """Void the documents of `ids` that are not void yet (a conditional UPDATE); the ids voided now."""
    if not ids:
        return []
    return list(db.session.scalars(
        update(Document).where(Document.id.in_(ids), Document.voided_at.is_(None))
        .values(voided_at=now, void_reason=reason).returning(Document.id)
        .execution_options(synchronize_session=False)))


def void_document(doc: Document, reason: str, user) -> list[Document]:
    """作废 a document from the archive (its 文号 with it, if it carries one): :func:`void`."""
    return void(reason, user, document=doc)
