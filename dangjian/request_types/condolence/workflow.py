"""慰问金 workflow (§三(二)2, §四 经费保障).

Steps, as DOMAIN puts them: branch → secondary; a request that is school-funded (校级专项经费), or
whose amount is above the threshold 组织部 sets, then goes on to 组织部 (budget check) → 校党委.

Who signs what. Both the branch and the secondary level always sign a request; the level that
starts it signs by submitting it, so nobody approves what they proposed (回避):

* Started by the member's branch (支部书记/支委): the submission is the branch's proposal (党支部申报);
  the secondary unit approves (二级党组织审批). A second branch holder does not re-approve it: the
  policy's order is "branch proposes, secondary approves", and a branch with a single account holder
  would otherwise be stuck.
* Started by the secondary unit: the submission is the unit's decision; the member's branch then
  confirms the facts and the payee (党支部核实).
* 直属党支部 have no secondary level and no unit funds of their own, so their requests are always
  school-funded and always go on: branch (submission) → 组织部 → 校党委.

The threshold is copied onto the request when it is submitted, so a change of the threshold never
changes the steps under a request in flight.

Budget (§四): the FINAL approval of a school-funded request reserves its amount on the year's 慰问金
line (a conditional UPDATE: racing approvals never overspend); 组织部's approval first checks the
balance. Rejection, withdrawal, cancellation and 撤销申请 release what is reserved; recording the payment
spends the amount actually paid and releases the rest. Unit-funded requests touch no school budget: their
payment is posted to the secondary unit's own ledger (unit_funds).

After approval the branch (or the initiator) records the visit and the payment (登记走访发放): then
the request is 已完成. An approved request not yet paid can be cancelled (取消), with a reason.

The gate: every submission and resubmission, from any page, is checked again for what depends on
other rows, under a lock on the member so that two submissions at the same moment take turns: the
member's 党籍, one 亡故 per member, one 七一/春节 visit per member and year, and a member who has died
is not the payee. A draft (the campaign makes them) is deleted through the engine too (删除草稿).
A returned or withdrawn request still counts for those rules (it may be resubmitted); once its
initiator gives it up (撤销申请, 已撤销申请) it no longer does (model.LIVE_STATES), so the member's
七一/春节 visit or 亡故 慰问 can be filed again.
"""
from __future__ import annotations

from ... import unit_funds
from ...budget import line_for, release, reserve, reserved_for, shortfall, spend
from ...dates import cn_day
from ...models import BudgetLineKind, Member, RequestState, Role
from ...org.standing import beneficiary_refusal
from ...models.base import utcnow
from ...money import format_yuan, yuan_capital
from ...timeutil import local_today
from ...workflow import Action, ActionRefused, DocumentSpec, Step, Transition, Workflow
from ...workflow.definition import (DELETE_DRAFT, STANDARD_TRANSITIONS, Holder, TransitionContext, at_branch,
                                    at_org_dept, at_school, at_secondary, has_secondary)
from ...workflow.locks import lock_rows
from .documents import form_context
from .model import CondolenceCategory, CondolencePayment, InitiatorLevel, occasion_refusal, payee_refusal


def started_by_secondary(req: CondolencePayment) -> bool:
    return req.initiator_level is InitiatorLevel.SECONDARY


def started_by_branch(req: CondolencePayment) -> bool:
    return req.initiator_level is InitiatorLevel.BRANCH


def goes_to_school(req: CondolencePayment) -> bool:
    """School-funded, above the threshold, or from a 直属党支部: 组织部 and 校党委 decide too."""
    return req.organization.is_direct_branch or req.is_school_funded or req.above_threshold


def _record_payment_target(workflow, req, params):
    return RequestState.COMPLETED, None


def _cancel_target(workflow, req, params):
    return RequestState.CANCELLED, None


# The branch pays and records (or whoever started the request, e.g. the secondary unit).
PAYER = Holder(Role.BRANCH_SECRETARY, at_branch, or_initiator=True)

TRANSITIONS = STANDARD_TRANSITIONS + (
    DELETE_DRAFT,
    Transition(Action.RECORD_PAYMENT, frozenset({RequestState.APPROVED}), PAYER, _record_payment_target),
    Transition(Action.CANCEL, frozenset({RequestState.APPROVED}), PAYER, _cancel_target, opinion_required=True),
)


def budget_year() -> int:
    return local_today().year


def check_budget(req: CondolencePayment, year: int) -> None:
    """组织部's budget check: refused when the year's 慰问金 line cannot pay this request now."""
    refused = shortfall(year, BudgetLineKind.CONDOLENCE, req.amount, unset_hint="，请先在「经费预算」中设置后再审核")
    if refused:
        raise ActionRefused(refused)


def _record_payment(ctx: TransitionContext) -> None:
    """Fill in the visit and the payment from the payload the view checked; check again here."""
    req, p = ctx.request, ctx.payload
    paid, visit_date, visitors = p.get("paid_amount"), p.get("visit_date"), (p.get("visitors") or "").strip()
    receipts = p.get("receipts") or []
    if paid is None or paid <= 0:
        raise ActionRefused("请填写实际发放金额", field="paid_amount")
    if paid > req.amount:
        raise ActionRefused(f"实际发放金额不能超过批准金额（{format_yuan(req.amount)}）", field="paid_amount")
    if visit_date is None:
        raise ActionRefused("请填写走访日期", field="visit_date")
    if visit_date > local_today():
        raise ActionRefused("走访日期不能晚于今天", field="visit_date")
    if not visitors:
        raise ActionRefused("请填写走访人", field="visitors")
    if not receipts and not req.receipts:
        raise ActionRefused("请上传发放凭证或走访照片", field="receipts")
    for att in receipts:
        req.attachments.append(att)
    req.visit_date, req.visitors, req.paid_amount = visit_date, visitors[:100], paid
    req.paid_recorded_at = utcnow()
    detail = (f"走访日期{cn_day(visit_date)}，走访人 {visitors}，实际发放 {format_yuan(paid)}"
              f"（{yuan_capital(paid)}），收款人 {req.payee_label}")
    if req.is_school_funded:
        spend(req.id, ctx.user.id, note=f"{req.number} 慰问金发放", amount=paid)
        if paid < req.amount:
            detail += f"；低于批准金额，差额 {format_yuan(req.amount - paid)} 已释放回预算"
    elif unit_funds.keeps_ledger(req.organization.secondary_unit):  # 本单位经费: the unit's own ledger
        detail += "；" + unit_funds.post_request_expense(req, req.organization.secondary_unit, paid, visit_date,
                                                       BudgetLineKind.CONDOLENCE, ctx.user)
    ctx.entry.detail = detail


def check_submission(req: CondolencePayment) -> None:
    """Refuse a (re)submission that breaks a rule about other rows (ActionRefused, with the field)."""
    lock_rows(Member, [req.beneficiary_id])
    refused = beneficiary_refusal(req.beneficiary, for_death=req.category is CondolenceCategory.DEATH)
    if refused:
        raise ActionRefused(refused, field="member_id")
    refused = occasion_refusal(req.beneficiary_id, req.category, req.event_date, exclude_id=req.id)
    if refused:
        raise ActionRefused(refused, field="category")
    refused = payee_refusal(req.beneficiary_id, req.category, req.payee_kind, exclude_id=req.id)
    if refused:
        raise ActionRefused(refused, field="payee_kind")


def on_transition(ctx: TransitionContext) -> None:
    req = ctx.request
    actor_id = ctx.user.id if ctx.user else None
    if ctx.action is Action.SUBMIT:
        check_submission(req)
    elif ctx.action is Action.APPROVE and req.is_school_funded:
        year = budget_year()
        if ctx.from_step == "org_dept":
            check_budget(req, year)
            ctx.entry.detail = f"经费核查：{year}年度「慰问金」校级预算余额足以支付本申请"
        if ctx.to_state is RequestState.APPROVED:
            reserve(year, BudgetLineKind.CONDOLENCE, req.amount, req.id, actor_id)
            ctx.entry.detail = f"已从{year}年度校级「慰问金」预算预留 {format_yuan(req.amount)}"
    elif ctx.action in (Action.REJECT, Action.WITHDRAW, Action.CANCEL, Action.ABANDON):
        held = sum((amount for _, amount in reserved_for(req.id)), start=0)
        if held:
            release(req.id, actor_id, note=f"{req.number} {ctx.action.label}")
            ctx.entry.detail = f"已释放预留的校级经费 {format_yuan(held)}"
    elif ctx.action is Action.RECORD_PAYMENT:
        _record_payment(ctx)


WORKFLOW = Workflow(
    steps=(
        Step("branch", "党支部核实", "党支部意见", Role.BRANCH_SECRETARY, at_branch, applies=started_by_secondary),
        Step("secondary", "二级党组织审批", "二级党组织意见", Role.SECONDARY, at_secondary,
             applies=lambda req: started_by_branch(req) and has_secondary(req)),
        Step("org_dept", "组织部审核", "组织部审核意见（经费核查）", Role.ORG_DEPT, at_org_dept, applies=goes_to_school),
        Step("school", "校党委审批", "校党委审批意见", Role.SCHOOL, at_school, applies=goes_to_school),
    ),
    transitions=TRANSITIONS,
    documents=(
        DocumentSpec("condolence_form", "慰问金审批表", "pdf/condolence_form.html", form_context),
    ),
    closed_states=frozenset({RequestState.REJECTED, RequestState.COMPLETED, RequestState.CANCELLED}),
    on_transition=on_transition,
)

CondolencePayment.workflow = WORKFLOW
