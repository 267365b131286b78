"""The context of the 慰问金审批表 (templates/pdf/condolence_form.html).

One box for the level that proposed the request (its submission), then one per applicable step.
Times are stored in UTC; the form prints local dates, so they are converted here.
"""
from ...documents.verification import pdf_fields
from ...models import RequestState, Role
from ...timeutil import to_local
from ...workflow.history import opinion_boxes, submission_box


def _proposal(req) -> dict:
    """The initiating level's box: it signed the request by submitting it."""
    branch = req.organization
    if req.initiator_level.value == "secondary":
        label, org_name, role = "二级党组织意见（发起）", branch.secondary_unit.name, Role.SECONDARY.label
    else:
        label, org_name, role = "党支部申报意见", branch.name, Role.BRANCH_SECRETARY.label
    return submission_box(req, label, f"{org_name}申报：拟对该同志走访慰问并发放慰问金，报请审批。", role)


def form_context(doc) -> dict:
    from .workflow import goes_to_school

    req = doc.request
    member = req.beneficiary
    branch = req.organization
    secondary = branch.secondary_unit
    steps = [_proposal(req), *opinion_boxes(req)]
    flags = []
    if member.is_old_member:
        flags.append("老党员")
    if member.is_model_worker:
        flags.append("老模范")
    flags += member.difficulty_labels
    return {
        "doc": {"title": doc.title, "number": req.number, "generated_at": to_local(doc.created_at),
                "version": doc.version, **pdf_fields(doc)},
        "req": {
            "number": req.number, "state_label": req.state.label, "submitted_at": req.submitted_at,
            "member_name": member.name, "gender": member.gender, "staff_no": member.staff_no,
            "id_number_masked": member.id_number_masked, "phone_masked": member.phone_masked,
            "person_category": member.person_category.label, "member_category": member.member_category.label,
            "joined_party_on": member.joined_party_on, "flags": "、".join(flags),
            "branch_name": branch.name, "secondary_name": secondary.name if secondary else None,
            "initiator_name": req.initiator.display_name, "initiator_level": req.initiator_level.label,
            "category_label": req.category.label, "event_description": req.event_description,
            "event_date": req.event_date, "amount": req.amount, "standard_amount": req.standard_amount,
            "over_standard": req.is_over_standard, "over_standard_reason": req.over_standard_reason,
            "funding_label": req.funding_source.label, "threshold_amount": req.threshold_amount,
            "above_threshold": req.above_threshold, "to_school": goes_to_school(req),
            "planned_visitors": req.planned_visitors, "planned_date": req.planned_date,
            "payee_kind": req.payee_kind.label, "payee_name": req.payee_name,
            "payee_relation": req.payee_relation,
            "attachments": [{"filename": a.filename, "sha256": a.sha256, "kind_label": a.kind_label}
                            for a in req.evidence],
            "final_outcome": "同意" if req.state in (RequestState.APPROVED, RequestState.COMPLETED) else "不同意",
        },
        "steps": steps,
    }
