"""The 文号 register's operations (发文登记, GB/T 9704 7.2.4): every notice and decision takes its
number here, inside the transaction of the action that issues it, so the number and the document
commit together or not at all.

* :func:`issue` takes the next number of a series for a year. The UPDATE that counts it locks the
  series' row (PostgreSQL: that row; SQLite: the database), and the serial is read after the lock:
  two approvals at the same moment take turns, and a rolled-back action gives its number back. No
  duplicate (also a unique key) and no gap except voided numbers.
* :func:`number_document` gives a document its 文号: a new version of a document keeps the number of
  the version it replaces, unless that number was voided.
* :func:`void` keeps the number with the reason, who and when, and voids every version of the
  document that carries it, through documents.validity.void, the one operation that the archive's
  作废 of a document uses too (/verify then says 已作废).
* :func:`set_prefix`: the series' 发文机关代字, a setting 组织部 edits (default: the school's
  abbreviation, ``DOC_NUMBER_ABBR``, and the series' own suffix).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..models import DocKind, DocNumber, DocNumberSeries, Document, OrgKind, Role
from ..models.base import utcnow
from ..text_input import text_problem
from ..timeutil import local_today
from ..workflow.errors import ActionRefused, WorkflowError
from .official import format_doc_number
from .validity import same_document
from .validity import void as void_documents

#: The school's abbreviation in the default prefixes, as in the policy's own 西财党发〔2018〕16号.
DEFAULT_ABBR = "西财"
#: The series the app issues in: (issuer, kind) → the default prefix after the abbreviation.
SERIES: dict[tuple[OrgKind, DocKind], str] = {
    (OrgKind.SCHOOL, DocKind.DECISION): "党发",       # 表彰决定
    (OrgKind.SCHOOL, DocKind.REPLY): "党复",          # 党费减免批复
    (OrgKind.ORG_DEPT, DocKind.NOTICE): "党组发",     # 兼职支部书记补贴核定通知
    (OrgKind.ORG_DEPT, DocKind.PUBLICITY): "党组字",  # 拟表彰对象公示
}
MAX_PREFIX = 16
_NOT_IN_PREFIX = set("〔〕[]【】()（）{}<>《》号") | set("0123456789０１２３４５６７８９")


@dataclass(frozen=True)
class Series:
    issuer: OrgKind
    kind: DocKind
    prefix: str
    row: DocNumberSeries | None

    @property
    def key(self) -> str:
        return f"{self.issuer.value}.{self.kind.value}"

    @property
    def label(self) -> str:
        return f"{self.issuer.label} · {self.kind.label}"


def default_prefix(issuer: OrgKind, kind: DocKind) -> str:
    return (current_app.config.get("DOC_NUMBER_ABBR") or DEFAULT_ABBR) + SERIES[(issuer, kind)]


def all_series() -> list[Series]:
    """Every series with its prefix in force (the setting, or the default)."""
    rows = {(r.issuer, r.kind): r for r in db.session.scalars(select(DocNumberSeries))}
    return [Series(issuer, kind, rows[(issuer, kind)].prefix if (issuer, kind) in rows
                   else default_prefix(issuer, kind), rows.get((issuer, kind)))
            for issuer, kind in SERIES]


def series_by_key(key: str) -> Series | None:
    return next((s for s in all_series() if s.key == key), None)


def _ensure_row(issuer: OrgKind, kind: DocKind) -> None:
    """The series' row, created with the default prefix in a savepoint; a row created at the same
    moment by another transaction wins (ours fails on the unique key, theirs is used)."""
    exists = db.session.scalar(select(DocNumberSeries.id).where(DocNumberSeries.issuer == issuer,
                                                                DocNumberSeries.kind == kind))
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(DocNumberSeries(issuer=issuer, kind=kind, prefix=default_prefix(issuer, kind),
                                               issued_count=0, updated_at=utcnow()))
        except IntegrityError:
            pass


def issue(issuer: OrgKind, kind: DocKind, title: str, *, year: int | None = None, document: Document | None = None,
          user=None) -> DocNumber:
    """The next 文号 of the series for `year` (default: this year), in the caller's transaction."""
    if (issuer, kind) not in SERIES:
        raise LookupError(f"没有「{issuer.label} · {kind.label}」的文号序列")
    year = year or local_today().year
    _ensure_row(issuer, kind)
    # The lock: every issuer of this series waits here until the one before has committed.
    series_id, prefix = db.session.execute(
        update(DocNumberSeries).where(DocNumberSeries.issuer == issuer, DocNumberSeries.kind == kind)
        .values(issued_count=DocNumberSeries.issued_count + 1)
        .returning(DocNumberSeries.id, DocNumberSeries.prefix)
        .execution_options(synchronize_session=False)).one()
    last = db.session.scalar(select(func.max(DocNumber.serial)).where(DocNumber.series_id == series_id,
                                                                      DocNumber.year == year)) or 0
    entry = DocNumber(series_id=series_id, year=year, serial=last + 1, prefix=prefix,
                      number=format_doc_number(prefix, year, last + 1), title=title[:200],
                      document_id=document.id if document is not None else None,
                      issued_at=utcnow(), issued_by_id=user.id if user is not None else None)
    db.session.add(entry)
    db.session.flush()
    audit.record("doc_number.issue", entry, user=user, number=entry.number, title=entry.title,
                 document=entry.document_id)
    return entry


def number_document(doc: Document, series: tuple[OrgKind, DocKind], *, year: int | None = None,
                    user=None) -> str:
    """Give `doc` (flushed, in the caller's transaction) its 文号 and return it: the number of an
    earlier version of the same document when it has one that is not voided, else a new one."""
    kept = db.session.scalar(
        select(DocNumber.number).join(Document, Document.id == DocNumber.document_id)
        .where(*same_document(doc), Document.id != doc.id, DocNumber.voided_at.is_(None))
        .order_by(DocNumber.id.desc()).limit(1))
    if kept is None:
        kept = issue(*series, doc.title, year=year, document=doc, user=user).number
    doc.doc_number = kept
    return kept


def can_manage(user) -> bool:
    """组织部 keeps the register (voids numbers, sets prefixes)."""
    return user.holds(Role.ORG_DEPT)


def void(entry_id: int, reason: str, user) -> DocNumber:
    """作废 from the register, and commit: the number stays, marked with the reason, who and when, and
    is never issued again; every version of its document that carries it is voided with it (the one
    operation :func:`documents.validity.void`, which the archive's 作废 uses too). Raises
    ActionRefused (not 组织部), VoidRefused (field "reason") or AlreadyVoided."""
    if not can_manage(user):
        raise ActionRefused("只有党委组织部可以作废文号")
    entry = db.session.get(DocNumber, entry_id)
    if entry is None:
        raise LookupError(f"没有编号为 {entry_id} 的文号")
    try:
        void_documents(reason, user, number=entry)
    except WorkflowError:
        db.session.rollback()
        raise
    db.session.commit()
    return entry


def prefix_problem(series: Series, prefix: str, others: list[Series]) -> str | None:
    """Why `prefix` cannot be the series' 发文机关代字, or None."""
    if not prefix:
        return "请填写发文机关代字"
    if len(prefix) > MAX_PREFIX:
        return f"发文机关代字不能超过{MAX_PREFIX}个字"
    if any(c.isspace() for c in prefix) or _NOT_IN_PREFIX & set(prefix):
        return "发文机关代字只写机关代字（如“西财党发”），不含空格、数字、括号和“号”：年份和序号由系统生成"
    problem = text_problem("发文机关代字", prefix)
    if problem:
        return problem
    clash = next((s for s in others if s.key != series.key and s.prefix == prefix), None)
    if clash:
        return f"“{prefix}”已是「{clash.label}」的代字，不同序列的代字不能相同"
    return None


def set_prefixes(values: dict[str, str], user) -> tuple[list[str], dict[str, str]]:
    """Save the prefixes given by series key; returns (labels of the series changed, errors by key).
    Nothing is saved when any value is refused."""
    if not can_manage(user):
        raise ActionRefused("只有党委组织部可以设置文号代字")
    current = all_series()
    proposed = [Series(s.issuer, s.kind, (values.get(s.key, s.prefix) or "").strip(), s.row) for s in current]
    errors = {s.key: p for s in proposed if (p := prefix_problem(s, s.prefix, proposed))}
    if errors:
        return [], errors
    changed = []
    now = utcnow()
    for old, new in zip(current, proposed):
        if old.prefix == new.prefix:
            continue
        _ensure_row(old.issuer, old.kind)
        db.session.execute(update(DocNumberSeries)
                           .where(DocNumberSeries.issuer == old.issuer, DocNumberSeries.kind == old.kind)
                           .values(prefix=new.prefix, updated_at=now, updated_by_id=user.id)
                           .execution_options(synchronize_session=False))
        audit.record("doc_number.prefix_set", None, user=user, series=old.label, old=old.prefix, new=new.prefix)
        changed.append(old.label)
    db.session.commit()
    return changed, {}
