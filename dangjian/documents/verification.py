"""Verification of a printed or forwarded PDF (issue 9 §5): what a PDF prints, and what /verify
tells a reader who has no account.

* Every generated PDF prints its document's code (``XXXX-XXXX-XXXXX``, dangjian.documents.codes)
  and a QR code (segno, inline SVG) of ``PUBLIC_BASE_URL/verify/<code>``. The worker renders without
  a web request, so the address comes from the ``PUBLIC_BASE_URL`` setting.
* /verify looks a document up by its code, or an uploaded file by its SHA-256, and shows
  :func:`public_facts` only: title, 文号, date, issuing organization, version, SHA-256 and whether it
  stands (dangjian.documents.validity). Never the content, never a member's name or hardship.

Only generated (DONE) documents are found: a code whose document never rendered was never printed.
"""
from __future__ import annotations

import hashlib

import segno
from flask import current_app
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import Document, DocumentStatus, Organization, OrgKind
from ..timeutil import to_local
from . import codes
from .validity import Validity, newer_version, validity

#: The page's path; its address on a PDF is PUBLIC_BASE_URL + this.
VERIFY_PATH = "/verify"


def base_url() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def page_url() -> str:
    """The /verify page, where a code can be typed."""
    return f"{base_url()}{VERIFY_PATH}"


def code_url(code: str) -> str:
    """The address the QR code holds: the page of one code (canonical form: short, no dashes)."""
    return f"{page_url()}/{code}"


def qr_svg(data: str) -> Markup:
    """A QR code of `data` as inline SVG (no size: the template sets it; error correction M, so a
    creased or stamped paper copy still scans)."""
    return Markup(segno.make(data, error="m", micro=False).svg_inline(border=0, omitsize=True))


def pdf_fields(doc: Document) -> dict:
    """What a PDF template prints about verification, merged into its ``doc`` dict:
    ``verification_code`` (grouped), ``verify_page`` and ``verify_qr``; an empty code for a
    document without one (rows made before codes existed)."""
    if not doc.verification_code:
        return {"verification_code": None}
    url = code_url(doc.verification_code)
    return {"verification_code": codes.display(doc.verification_code), "verify_page": page_url(),
            "verify_url": url, "verify_qr": qr_svg(url)}


# --- lookups ---------------------------------------------------------------------------------

def find_by_code(code: str) -> Document | None:
    """The generated document of a canonical code (codes.normalize), or None."""
    return db.session.scalar(select(Document).where(Document.verification_code == code,
                                                    Document.status == DocumentStatus.DONE))


def sha256_of(stream, limit: int) -> tuple[str, int]:
    """(hex SHA-256, size) of a file stream read in chunks; ValueError past `limit` bytes."""
    digest, size = hashlib.sha256(), 0
    while chunk := stream.read(1 << 16):
        size += len(chunk)
        if size > limit:
            raise ValueError("too large")
        digest.update(chunk)
    return digest.hexdigest(), size


def find_by_sha256(digest: str) -> Document | None:
    """The archived document with exactly these bytes (the newest, should two ever share them)."""
    return db.session.scalar(select(Document).where(Document.sha256 == digest.lower(),
                                                    Document.status == DocumentStatus.DONE)
                             .order_by(Document.id.desc()).limit(1))


def _school_name() -> str:
    school = db.session.scalar(select(Organization).where(Organization.kind == OrgKind.SCHOOL)
                               .order_by(Organization.id).limit(1))
    return school.name if school is not None else ""


def issuer_of(doc: Document) -> str:
    """The issuing organization: the kind's own (a notice of 组织部), else the school's party
    committee (the 审批表 are records of its approval process, not of the applicant's branch)."""
    from ..workflow.definition import DOCUMENT_SPECS

    spec = DOCUMENT_SPECS.get(doc.kind)
    if spec is not None and spec.issuer is not None:
        return spec.issuer(doc)
    if doc.request is not None:
        return doc.request.organization.root.name
    return _school_name()


def public_facts(doc: Document) -> dict:
    """Everything /verify shows about a document, and nothing else."""
    state = validity(doc)
    newer = newer_version(doc) if state is Validity.SUPERSEDED else None
    return {
        "title": doc.title,
        "doc_number": doc.doc_number,
        "date": to_local(doc.finished_at or doc.created_at).date(),
        "issuer": issuer_of(doc),
        "version": doc.version,
        "newest_version": newer.version if newer is not None else None,
        "sha256": doc.sha256,
        "code": codes.display(doc.verification_code),
        "validity": state,
    }
