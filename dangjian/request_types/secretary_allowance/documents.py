"""The PDFs of a batch: one 年度兼职支部书记补贴核定表 (templates/pdf/allowance_batch.html) and one
核定通知 per branch (templates/pdf/allowance_notice.html), issued by 组织部 ("具体补助由组织部
根据党支部设置实际情况核定并实施"). Money in figures and in capitals.

Times are stored in UTC; the documents print local dates, so they are converted here.
"""
from decimal import Decimal

from ...documents.official import official
from ...documents.verification import pdf_fields
from ...models import OrgKind, RequestState, Role
from ...money import format_yuan
from ...timeutil import to_local
from ...workflow.definition import Action
from ...workflow.history import current_round, opinion_boxes, submission_box
from .model import ITEM_KEYS, ITEMS

POLICY = "《关于健全党内激励关怀帮扶机制的实施意见》第三部分（一）3"
#: 抄送 of a 核定通知: the finance office pays the allowance out.
NOTICE_CC = ("财务处",)


def batch_parts(req) -> list[tuple[str, str]]:
    return [("", f"{req.year}年度兼职支部书记补贴核定表")]


def notice_parts(req) -> list[tuple[str, str]]:
    seen, parts = set(), []
    for line in req.lines:
        if line.branch_id in seen:
            continue
        seen.add(line.branch_id)
        parts.append((f"branch-{line.branch_id}",
                      f"关于核定{line.branch.name}{req.year}年度兼职支部书记补贴的通知"))
    return parts


def _doc(doc) -> dict:
    return {"title": doc.title, "number": doc.request.number, "generated_at": to_local(doc.created_at),
            "version": doc.version, **pdf_fields(doc)}


def _line(line, index: int) -> dict:
    return {
        "index": index, "branch": line.branch.name, "branch_type": line.branch_type_label,
        "secretary": line.member.name, "part_time": "兼职" if line.part_time else "专职",
        "grade": line.grade.label, "months_existed": line.months_existed, "existed_label": line.existed_label,
        "months_served": line.months_served, "served_label": line.served_label,
        "formula": line.formula, "computed_amount": line.computed_amount, "adjusted": line.adjusted,
        "items": [(label, getattr(line, key)) for key, label in ITEMS],
        "amount": line.amount, "method": line.payment_method.label,
    }


def _issuer(req) -> str:
    """组织部 issues the notices: "中共××大学委员会组织部"."""
    school = req.organization.root
    return f"{school.name}组织部"


def _decided_on(req):
    final = next((e for e in reversed(req.timeline)
                  if e.action in (Action.APPROVE.value, Action.REJECT.value)), None)
    return to_local(final.created_at).date() if final else None


def notice_issuer(doc) -> str:
    return _issuer(doc.request)


def _submission(req, unit_label: str, lines: list[dict]) -> dict:
    """The submitting unit's box (申报单位意见): it signs and seals the batch it submits."""
    role = Role.ORG_DEPT.label if req.organization.kind is OrgKind.SCHOOL else Role.SECONDARY.label
    opinion = (f"经{unit_label}审核，申报{req.year}年度兼职支部书记补贴{len(req.branch_ids)}个支部、"
               f"{len(lines)}人，合计{format_yuan(req.total)}，请予核定。")
    return submission_box(req, "申报单位意见", opinion, role)


def batch_context(doc) -> dict:
    req = doc.request
    unit = req.organization
    adjustments = [{"date": to_local(e.created_at).date(), "actor": e.actor.display_name if e.actor else "系统",
                    "detail": e.detail, "opinion": e.opinion}
                   for e in current_round(req) if e.action == Action.ADJUST.value]
    lines = [_line(line, i) for i, line in enumerate(req.lines, start=1)]
    return {
        "doc": _doc(doc),
        "batch": {
            "number": req.number, "year": req.year, "unit": unit.name,
            "unit_label": "直属党支部（由组织部申报）" if unit.kind is OrgKind.SCHOOL else unit.name,
            "initiator": req.initiator.display_name, "submitted_at": req.submitted_at,
            "standard": req.standard, "branch_count": len(req.branch_ids),
            "total": req.total, "state_label": req.state.label,
            "approved": req.state in (RequestState.APPROVED, RequestState.COMPLETED),
            "final_outcome": "同意" if req.state in (RequestState.APPROVED, RequestState.COMPLETED) else "不同意",
            "decided_on": _decided_on(req), "issuer": _issuer(req), "policy": POLICY,
        },
        "lines": lines,
        "item_labels": [label for _, label in ITEMS],
        "item_totals": [req.item_total(key) for key in ITEM_KEYS],
        "adjustments": adjustments,
        "exclusions": req.exclusion_list,
        "steps": [_submission(req, "组织部" if unit.kind is OrgKind.SCHOOL else unit.name, lines),
                  *opinion_boxes(req)],
    }


def notice_context(doc) -> dict:
    req = doc.request
    branch_id = int(doc.part.split("-", 1)[1])
    lines = req.branch_lines(branch_id)
    branch = lines[0].branch
    secondary = branch.secondary_unit
    total = sum((line.amount for line in lines), Decimal("0.00"))
    issuer, issued_on = _issuer(req), _decided_on(req)
    return {
        "doc": _doc(doc),
        "official": official(
            org_mark=issuer, number=doc.doc_number, issuer=issuer, issued_on=issued_on, cc=NOTICE_CC,
            printed_on=to_local(doc.created_at).date() if doc.created_at else None,
            note=f"系统生成，审批编号{req.number}，第{doc.version}版"),
        "notice": {
            "title": doc.title, "number": req.number, "year": req.year, "branch": branch.name,
            "secondary": secondary.name if secondary else None,
            "addressees": "、".join(n for n in (secondary.name if secondary else None, branch.name) if n),
            "grade": lines[0].grade.label, "months_existed": lines[0].months_existed,
            "existed_label": lines[0].existed_label, "standard": req.standard, "total": total,
            "issuer": issuer, "issued_on": issued_on, "policy": POLICY,
        },
        "lines": [_line(line, i) for i, line in enumerate(lines, start=1)],
    }
