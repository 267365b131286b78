"""The PDFs of 表彰推荐 and their contexts:

* 表彰推荐审批表 per nominee (a request document): every field, one box per step with the ranking
  and the 党委会, and the 公示 result once known;
* the 公示 notice and the 表彰决定: documents of the cycle (Document.award_cycle_id), rendered
  in the GB/T 9704 style, downloadable by every logged-in user once published.

Times are stored in UTC; the documents print local dates.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from ...after_commit import on_commit
from ...documents.jobs import enqueue_documents
from ...documents import numbers
from ...documents.official import official
from ...documents.verification import pdf_fields
from ...extensions import db
from ...models import DocKind, Document, DocumentStatus, Member, Organization, OrgKind, RequestState, Role
from ...timeutil import to_local
from ...workflow.definition import DocumentSpec
from ...workflow.history import opinion_boxes, submission_box

#: 抄送 of the 表彰决定 (its 主送 are the secondary units and 直属党支部).
DECISION_CC = ("校纪委",)
NOTICE_KIND = "award_publicity_notice"
DECISION_KIND = "award_decision"


def school() -> Organization:
    return db.session.scalar(select(Organization).where(Organization.kind == OrgKind.SCHOOL)
                             .order_by(Organization.id).limit(1))


def _local_date(value):
    return to_local(value).date() if value else None


# --- cycle documents ------------------------------------------------------------------------------

@dataclass(frozen=True)
class CycleDocumentSpec(DocumentSpec):
    """A document of an award cycle rather than of one request."""

    def relpath(self, doc) -> str:
        from .model import AwardCycle

        cycle = db.session.get(AwardCycle, doc.award_cycle_id)
        part = f"-{doc.part}" if doc.part else ""
        return f"{cycle.year}/award-cycle-{cycle.id}/{doc.kind}{part}-v{doc.version}.pdf"


def create_cycle_documents(cycle, spec: CycleDocumentSpec, title: str, *, year: int | None = None,
                           user=None) -> Document:
    """A pending document of the cycle in the caller's transaction, enqueued after commit (as
    dangjian.documents.jobs.create_documents does for a request), with its 文号 from the register
    (of `year`, default this year) in the same transaction."""
    last = db.session.scalar(select(func.max(Document.version)).where(
        Document.award_cycle_id == cycle.id, Document.kind == spec.kind, Document.part == ""))
    doc = Document(award_cycle_id=cycle.id, kind=spec.kind, part="", title=title[:100],
                   template=spec.template, version=(last or 0) + 1, status=DocumentStatus.PENDING)
    db.session.add(doc)
    db.session.flush()
    if spec.numbered:
        numbers.number_document(doc, spec.numbered, year=year, user=user)
    on_commit(db.session, enqueue_documents, [doc.id])
    return doc


def _doc_meta(doc, number: str) -> dict:
    return {"title": doc.title, "number": number, "generated_at": to_local(doc.created_at),
            "version": doc.version, **pdf_fields(doc)}


def _unit_of(n) -> str:
    """The unit printed after a name: a member's branch; an organization's secondary unit."""
    if n.nominee_org is None:
        return n.organization.name
    sec = n.nominee_org.secondary_unit if n.nominee_org.parent is not None else None
    return sec.name if sec is not None and sec.id != n.nominee_org.id else "校党委直属"


def _by_category(cycle, nominations) -> list[dict]:
    """[{label, unit_word, items: [{name, unit}]}] in the order of the categories."""
    groups = []
    for category in cycle.category_list:
        items = [n for n in nominations if n.category is category]
        items.sort(key=lambda n: (n.quota_org.sort_order, n.quota_org_id, n.rank or 0, n.id))
        if not items:
            continue
        groups.append({
            "label": cycle.category_label(category), "unit_word": category.unit_word, "count": len(items),
            "items": [{"name": n.nominee_name, "unit": _unit_of(n)} for n in items],
        })
    return groups


def _nominations(cycle_id: int, *conds):
    from .model import AwardNomination

    return list(db.session.scalars(select(AwardNomination).where(AwardNomination.cycle_id == cycle_id, *conds)
                                   .order_by(AwardNomination.id)))


def notice_context(doc) -> dict:
    """公示 notice: the list as published (every nomination put on it, whatever happened after)."""
    from .model import AwardCycle, AwardNomination

    cycle = db.session.get(AwardCycle, doc.award_cycle_id)
    root = school()
    listed = _nominations(cycle.id, AwardNomination.publicized_at.is_not(None))
    issuer = f"{root.name}组织部"
    issued_on = _local_date(cycle.published_at)
    return {
        "doc": _doc_meta(doc, cycle.name),
        "official": official(org_mark=issuer, issuer=issuer, issued_on=issued_on, number=doc.doc_number,
                             printed_on=_local_date(doc.created_at)),
        "issuer": issuer,
        "school": root.name,
        "cycle": {"name": cycle.name, "year": cycle.year, "publicity_days": cycle.publicity_days,
                  "starts_on": cycle.publicity_starts_on, "ends_on": cycle.publicity_ends_on},
        "groups": _by_category(cycle, listed),
        "total": len(listed),
        "issued_on": issued_on,
    }


def decision_context(doc) -> dict:
    """表彰决定: every awardee, by category."""
    from .model import AwardCycle, AwardNomination

    cycle = db.session.get(AwardCycle, doc.award_cycle_id)
    root = school()
    awarded = _nominations(cycle.id, AwardNomination.state == RequestState.AWARDED)
    from .publicity import meeting_date

    # The day the 公示 ended (publicity.decision_date), never before the 公示 it cites.
    issued_on = cycle.decision_date or _local_date(cycle.completed_at)
    number = doc.doc_number or cycle.decision_number  # a decision made before the register: the cycle's
    return {
        "doc": _doc_meta(doc, number or cycle.name),
        "official": official(org_mark=f"{root.name}文件", number=number, issuer=root.name,
                             issued_on=issued_on, cc=DECISION_CC, printer=f"{root.name}组织部",
                             printed_on=_local_date(doc.created_at)),
        "issuer": root.name,
        "school": root.name,
        "number": number,
        "cycle": {"name": cycle.name, "year": cycle.year, "publicity_days": cycle.publicity_days,
                  "starts_on": cycle.publicity_starts_on, "ends_on": cycle.publicity_ends_on},
        "groups": _by_category(cycle, awarded),
        "total": len(awarded),
        "issued_on": issued_on,
        "meeting_on": meeting_date(cycle),
    }


def notice_issuer(doc) -> str:
    return f"{school().name}组织部"


# 文号: the 公示 in 组织部's 公示 series, the 表彰决定 in the school committee's 决定 series.
NOTICE_SPEC = CycleDocumentSpec(NOTICE_KIND, "公示", "pdf/award_publicity_notice.html", notice_context,
                                on_states=frozenset(), issuer=notice_issuer,
                                numbered=(OrgKind.ORG_DEPT, DocKind.PUBLICITY))
DECISION_SPEC = CycleDocumentSpec(DECISION_KIND, "表彰决定", "pdf/award_decision.html", decision_context,
                                  on_states=frozenset(), numbered=(OrgKind.SCHOOL, DocKind.DECISION))


# --- 表彰推荐审批表 -------------------------------------------------------------------------------

def _nominee(req) -> dict:
    if req.beneficiary_id:
        m: Member = req.beneficiary
        return {"kind": "member", "name": m.name, "gender": m.gender, "birth_date": m.birth_date,
                "joined_party_on": m.joined_party_on, "person_category": m.person_category.label,
                "member_category": m.member_category.label, "staff_no": m.staff_no,
                "branch_name": m.branch.name}
    org = req.nominee_org
    members = db.session.scalar(select(func.count(Member.id)).where(Member.branch_id == org.id)) or 0
    from ...models import RoleAssignment, User

    secretaries = db.session.scalars(
        select(User.display_name).join(RoleAssignment, RoleAssignment.user_id == User.id)
        .where(RoleAssignment.organization_id == org.id, RoleAssignment.role == Role.BRANCH_SECRETARY,
               RoleAssignment.in_effect())
        .order_by(User.id)).all()
    parent = org.parent
    return {"kind": "org", "name": org.name, "type_label": org.type_label,
            "parent_name": parent.name if parent is not None else "", "members": members,
            "secretaries": "、".join(secretaries)}


def form_context(doc) -> dict:
    from .model import AwardQuota, ObjectionStatus

    req = doc.request
    cycle = req.cycle
    branch = req.organization
    secondary = branch.secondary_unit
    quota = db.session.scalar(select(AwardQuota).where(
        AwardQuota.cycle_id == cycle.id, AwardQuota.organization_id == req.quota_org_id,
        AwardQuota.category == req.category))
    steps = [submission_box(req, "党支部推荐意见", f"经党支部研究，同意推荐{req.nominee_name}为{req.category_label}。",
                            Role.BRANCH_SECRETARY.label)]
    for box in opinion_boxes(req):
        if box["key"] == "secondary" and req.rank:
            box["detail"] = f"排序：{req.category_label}第 {req.rank} 名（本单位名额 {quota.quota if quota else 0} 名）"
        steps.append(box)
    objections = req.objections
    publicity = None
    if req.publicized_at is not None:
        upheld = sum(1 for o in objections if o.status is ObjectionStatus.UPHELD)
        dismissed = sum(1 for o in objections if o.status is ObjectionStatus.DISMISSED)
        result = {RequestState.AWARDED: "公示期满，予以表彰", RequestState.REVOKED: "异议成立，撤销推荐"}.get(
            req.state, "公示中")
        publicity = {"starts_on": cycle.publicity_starts_on, "ends_on": cycle.publicity_ends_on,
                     "days": cycle.publicity_days, "objections": len(objections), "upheld": upheld,
                     "dismissed": dismissed, "open": len(objections) - upheld - dismissed, "result": result}
    return {
        "doc": _doc_meta(doc, req.number),
        "req": {
            "number": req.number, "state_label": req.state.label, "submitted_at": req.submitted_at,
            "cycle_name": cycle.name, "year": cycle.year, "category_label": req.category_label,
            "branch_name": branch.name, "secondary_name": secondary.name if secondary else None,
            "initiator_name": req.initiator.display_name, "deeds": req.deeds, "rank": req.rank,
            "quota": quota.quota if quota else None, "quota_org_name": req.quota_org.name,
            "attachments": [{"filename": a.filename, "sha256": a.sha256} for a in req.attachments],
        },
        "nominee": _nominee(req),
        "steps": steps,
        "publicity": publicity,
    }
