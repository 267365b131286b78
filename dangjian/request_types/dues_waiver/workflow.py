"""党费减免: 党支部讨论 → 二级党组织意见 → 校党委审批. 直属党支部 skip the middle step.

The gate (on_transition, inside the action's transaction): every submission and resubmission, from
any page, is checked again for what depends on other rows, under a lock on the member so that two
submissions at the same moment take turns:
- the member is in good standing (not 出党, 停止党籍 or 去世);
- no other waiver of the member holds any of the months (期间不能重叠).
A returned waiver holds its months until its initiator resubmits it or gives it up (撤销申请): an
abandoned waiver holds nothing (model.HOLDING_STATES), so nothing is released here.
"""
from ...models import DocKind, Member, OrgKind, RequestState, Role
from ...org.standing import beneficiary_refusal
from ...workflow import Action, ActionRefused, DocumentSpec, Step, Workflow
from ...workflow.definition import TransitionContext, at_branch, at_school, at_secondary, has_secondary
from ...workflow.locks import lock_rows
from .documents import form_context, reply_context, reply_parts
from .model import DuesWaiver, overlap_refusal


def check_submission(req: DuesWaiver) -> None:
    """Refuse a (re)submission that breaks a rule about other rows (ActionRefused, with the field)."""
    lock_rows(Member, [req.beneficiary_id])
    refused = beneficiary_refusal(req.beneficiary)
    if refused:
        raise ActionRefused(refused, field="member_id")
    clash = overlap_refusal(req.beneficiary_id, req.start_month, req.end_month, exclude_id=req.id)
    if clash:
        raise ActionRefused(clash, field="start_month")


def on_transition(ctx: TransitionContext) -> None:
    if ctx.action is Action.SUBMIT:
        check_submission(ctx.request)


WORKFLOW = Workflow(
    steps=(
        Step("branch", "党支部讨论", "党支部讨论意见", Role.BRANCH_SECRETARY, at_branch,
             records_meeting=True, meeting_types=("branch_committee", "branch_assembly")),
        Step("secondary", "二级党组织意见", "二级党组织意见", Role.SECONDARY, at_secondary,
             applies=has_secondary),
        Step("school", "校党委审批", "校党委审批意见", Role.SCHOOL, at_school),
    ),
    documents=(
        DocumentSpec("dues_waiver_form", "党费减免审批表", "pdf/dues_waiver_form.html", form_context),
        # The decision notice to the branch: 校党委's 批复, with a 文号 of its 批复 series.
        DocumentSpec("dues_waiver_reply", "党费减免批复", "pdf/dues_waiver_reply.html", reply_context,
                     on_states=frozenset({RequestState.APPROVED}), parts=reply_parts,
                     numbered=(OrgKind.SCHOOL, DocKind.REPLY)),
    ),
    on_transition=on_transition,
)

DuesWaiver.workflow = WORKFLOW
