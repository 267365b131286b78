"""The context of the 党费减免审批表 (templates/pdf/dues_waiver_form.html).

Times are stored in UTC; the form prints local dates and times, so they are converted here.
"""
from ...documents.verification import pdf_fields
from ...models import RequestState
from ...timeutil import to_local
from ...workflow.history import opinion_boxes


def form_context(doc) -> dict:
    req = doc.request
    member = req.beneficiary
    branch = req.organization
    secondary = branch.secondary_unit
    return {
        "doc": {"title": doc.title, "number": req.number, "generated_at": to_local(doc.created_at),
                "version": doc.version, **pdf_fields(doc)},
        "req": {
            "number": req.number, "state_label": req.state.label, "submitted_at": req.submitted_at,
            "applicant_name": member.name, "applicant_staff_no": member.staff_no,
            "applicant_id_number_masked": member.id_number_masked, "gender": member.gender,
            "person_category": member.person_category.label,
            "member_category": member.member_category.label, "joined_party_on": member.joined_party_on,
            "branch_name": branch.name, "secondary_name": secondary.name if secondary else None,
            "phone_masked": member.phone_masked,
            "initiated_by_name": req.initiator.display_name, "on_behalf": req.on_behalf,
            "monthly_dues": req.monthly_dues_at_application, "mode_label": req.mode.label,
            "monthly_amount": req.monthly_amount, "start_month": req.start_month,
            "end_month": req.end_month, "months": req.months, "total_amount": req.amount,
            "hardship_category_label": req.hardship_category.label,
            "hardship_description": req.hardship_description,
            "attachments": [{"filename": a.filename, "sha256": a.sha256, "kind_label": a.kind_label}
                            for a in req.attachments],
            "final_outcome": "同意" if req.state is RequestState.APPROVED else "不同意",
        },
        "steps": opinion_boxes(req),
    }
