"""兼职支部书记补贴: the unit submits its batch → 组织部核定 (may adjust lines, any number of
times) → 校党委审批. Return, reject and withdraw as for every request.

What happens inside each transition (on_transition, in the action's transaction):
- submit: claim each branch for the year (AllowanceClaim, unique per branch and year), so that no
  branch is paid twice even when two batches are submitted at the same moment;
- 核定调整: check and apply the change to one line; the timeline entry says what changed;
- 组织部核定's approval: the year's 书记补贴 line must be set and able to pay the total (as 慰问金's
  组织部审核 checks its line), so a batch never reaches 校党委 only to be refused there;
- final approval: reserve the total on the year's 书记补贴 budget line (refused with the balance);
- reject, withdraw, return to the initiator: give the claims (and any reservation) back; 撤销申请 of a
  returned or withdrawn batch gives back anything left, and the batch no longer stands for its unit
  and year (compute.STANDING_STATES), so the unit can start a new one;
- 登记发放 (§四, by 组织部 once the money is paid: date, payer, voucher): the reservation moves to
  spent (budget.record_payment) and the batch is 已完成. A secretary the batch pays is recused.
"""
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from ... import budget, payments
from ...extensions import db
from ...models import BudgetLineKind, DocKind, Organization, OrgKind, RequestState, Role
from ...workflow import ActionRefused, DocumentSpec, Step, Transition, Workflow
from ...workflow.definition import STANDARD_TRANSITIONS, Action, Actor, Holder, at_org_dept, at_school, stay
from . import adjustment
from .documents import batch_context, batch_parts, notice_context, notice_issuer, notice_parts
from .model import AllowanceClaim, SecretaryAllowance

ADJUST_STEP = "org_dept"


def adjust_only_at_org_dept(req) -> str | None:
    return None if req.current_step == ADJUST_STEP else "只有在组织部核定环节可以调整补贴"


TRANSITIONS = STANDARD_TRANSITIONS + (
    Transition(Action.ADJUST, frozenset({RequestState.PENDING}), Actor.STEP_HOLDER, stay,
               guard=adjust_only_at_org_dept),
    Transition(Action.RECORD_PAID, frozenset({RequestState.APPROVED}), Holder(Role.ORG_DEPT, at_org_dept),
               lambda wf, req, params: (RequestState.COMPLETED, None), guard=payments.unpaid_guard),
)


def claim_branches(req: SecretaryAllowance) -> None:
    """One claim per branch and year, in branch order (so two batches never wait on each other
    in opposite orders). A branch claimed by another batch refuses the submission by name."""
    if not req.lines:
        raise ActionRefused("批次中没有符合条件的支部，不能提交")
    for branch_id in sorted(req.branch_ids):
        try:
            with db.session.begin_nested():
                db.session.add(AllowanceClaim(branch_id=branch_id, year=req.year, batch_id=req.id))
        except IntegrityError:
            other = db.session.scalars(select(AllowanceClaim).where(
                AllowanceClaim.branch_id == branch_id, AllowanceClaim.year == req.year)).first()
            branch = db.session.get(Organization, branch_id)
            where = f"已在 {other.batch.number} 中申报" if other is not None else "已被其他批次申报"
            raise ActionRefused(
                f"{branch.name}{req.year}年度的兼职支部书记补贴{where}，同一支部每年只能享受一次。"
                "请刷新后重新核对名单。") from None


def release_claims(req: SecretaryAllowance) -> None:
    db.session.execute(delete(AllowanceClaim).where(AllowanceClaim.batch_id == req.id)
                       .execution_options(synchronize_session=False))


def budget_refusal(year: int, total, unset_hint: str = "") -> str | None:
    """Why the year's 书记补贴 line cannot pay a batch's total now, or None (also the warning shown
    when a batch is started)."""
    return budget.shortfall(year, BudgetLineKind.ALLOWANCE, total, what="本批次", unset_hint=unset_hint)


def check_budget(req: SecretaryAllowance) -> str:
    """组织部核定's budget check; returns the timeline's note, or raises ActionRefused."""
    refused = budget_refusal(req.year, req.total, unset_hint="，请先在「经费预算」中设置后再核定")
    if refused:
        raise ActionRefused(refused)
    return f"经费核查：{req.year}年度「书记补贴」校级预算余额足以支付本批次"


def on_transition(ctx) -> None:
    req = ctx.request
    if ctx.action is Action.APPROVE and ctx.from_step == ADJUST_STEP:
        ctx.entry.detail = check_budget(req)
    if ctx.action is Action.SUBMIT:
        req.amount = req.total
        claim_branches(req)
    elif ctx.action is Action.ADJUST:
        try:
            ctx.entry.detail = adjustment.apply(req, ctx.payload)
        except adjustment.AdjustmentInvalid as exc:
            field, message = exc.first
            raise ActionRefused(message, field=field) from None
    elif ctx.to_state is RequestState.APPROVED:
        budget.reserve(req.year, BudgetLineKind.ALLOWANCE, req.amount, req.id, ctx.user.id)
    elif ctx.action is Action.RECORD_PAID:
        payments.record(ctx)
    elif ctx.to_state in (RequestState.REJECTED, RequestState.WITHDRAWN, RequestState.RETURNED,
                          RequestState.ABANDONED):
        release_claims(req)
        budget.release(req.id, ctx.user.id if ctx.user else None, note=f"{req.number} {ctx.to_state.label}")


WORKFLOW = Workflow(
    steps=(
        # 核定 is checking each batch's amounts line by line (and adjusting them): never in bulk.
        Step(ADJUST_STEP, "组织部核定", "组织部核定意见", Role.ORG_DEPT, at_org_dept,
             batch_refusal="「组织部核定」须逐个批次核对、调整补贴金额，不能批量同意"),
        Step("school", "校党委审批", "校党委审批意见", Role.SCHOOL, at_school),
    ),
    transitions=TRANSITIONS,
    documents=(
        # The 核定表 records the decision either way (a rejected batch's table says so); the
        # notices tell each branch what it gets, so only an approved batch has them.
        DocumentSpec("allowance_batch", "年度兼职支部书记补贴核定表", "pdf/allowance_batch.html", batch_context,
                     on_states=frozenset({RequestState.APPROVED, RequestState.REJECTED}), parts=batch_parts),
        # Each notice takes a 文号 of 组织部's 通知 series when 校党委 approves (documents.numbers).
        DocumentSpec("allowance_notice", "兼职支部书记补贴核定通知", "pdf/allowance_notice.html", notice_context,
                     on_states=frozenset({RequestState.APPROVED}), parts=notice_parts,
                     issuer=notice_issuer, numbered=(OrgKind.ORG_DEPT, DocKind.NOTICE)),
    ),
    closed_states=frozenset({RequestState.APPROVED, RequestState.REJECTED, RequestState.COMPLETED}),
    on_transition=on_transition,
)

SecretaryAllowance.workflow = WORKFLOW
