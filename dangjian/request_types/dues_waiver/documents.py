"""The contexts of the 党费减免 documents:

* the 党费减免审批表 (templates/pdf/dues_waiver_form.html): every field and one box per step;
* the 批复 to the branch (templates/pdf/dues_waiver_reply.html), made when 校党委 approves: a
  red-header document (GB/T 9704) with a 文号 of the school committee's 批复 series. It names the
  member (no ID number, no phone) and says the months and amounts and the clause it rests on;
  never the hardship category or its description, which stay on the 审批表.

Times are stored in UTC; the documents print local dates and times, so they are converted here.
"""
from ...documents.official import official
from ...documents.verification import pdf_fields
from ...models import RequestState
from ...timeutil import to_local
from ...workflow.history import meeting_label, opinion_boxes, step_outcomes
from .model import WaiverMode

#: The clause a 批复 rests on (§三(二)3), quoted.
POLICY = "《关于健全党内激励关怀帮扶机制的实施意见》第三部分（二）3"
POLICY_TEXT = "对生活困难党员的党费，由其本人提出申请，党支部讨论，所在单位二级党组织提出意见，校党委审批后可予减免"


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


def reply_parts(req) -> list[tuple[str, str]]:
    """One 批复 per waiver, titled by the member and the mode (免交 or 减交)."""
    verb = "免交" if req.mode is WaiverMode.FULL else "减交"
    return [("", f"关于同意{req.beneficiary.name}同志{verb}党费的批复")]


def reply_context(doc) -> dict:
    req = doc.request
    member, branch = req.beneficiary, req.organization
    secondary = branch.secondary_unit
    school = branch.root
    outcomes = {o.step.key: o.entry for o in step_outcomes(req)}
    meeting = outcomes.get("branch")
    decided = outcomes.get("school")
    issued_on = to_local(decided.created_at).date() if decided else None
    return {
        "doc": {"title": doc.title, "number": doc.doc_number or req.number, "generated_at": to_local(doc.created_at),
                "version": doc.version, **pdf_fields(doc)},
        "official": official(
            org_mark=f"{school.name}文件", number=doc.doc_number, issuer=school.name, issued_on=issued_on,
            cc=[secondary.name] if secondary else [], printer=f"{school.name}组织部",
            printed_on=to_local(doc.created_at).date() if doc.created_at else None,
            note=f"系统生成，审批编号{req.number}，第{doc.version}版"),
        "reply": {
            "title": doc.title, "branch": branch.name, "secondary": secondary.name if secondary else None,
            "member": member.name, "full": req.mode is WaiverMode.FULL, "mode_label": req.mode.label,
            "start_month": req.start_month, "end_month": req.end_month, "months": req.months,
            "monthly_amount": req.monthly_amount, "total": req.amount,
            # The branch's discussion (支委会 or 支部党员大会, recorded at its step) is cited by name and date.
            "meeting_label": meeting_label(meeting) if meeting is not None and meeting.meeting_type else "",
            "meeting_date": meeting.meeting_date if meeting is not None else None,
            "policy": POLICY, "policy_text": POLICY_TEXT,
        },
    }

