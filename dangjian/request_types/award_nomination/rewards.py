"""奖励标准 (§四 经费保障, 表彰奖励 line): an award may carry money. 组织部 sets, per cycle and
category, what each awardee receives (AwardReward). Then, through the nomination's own transitions:

* 组织部审核's 同意 checks that the year's 表彰奖励 line can pay it (as 慰问金 and the allowance do);
* 校党委决定's 同意 reserves it on that line (budget.reserve: racing decisions never overspend);
* 撤销推荐 (an objection upheld) releases it;
* once 已表彰, 组织部 records the payment (登记发放, dangjian/payments.py) and it becomes spent.

The standard is fixed once 校党委 has decided on a nomination of the cycle, so every awardee of a
category is paid the same.
"""
from __future__ import annotations

from decimal import Decimal

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import delete, func, select, update

from ... import audit, budget
from ...extensions import db
from ...models import BudgetLineKind, RequestState
from ...models.base import utcnow
from ...money import MoneyError, format_yuan, parse_yuan
from ...workflow import ActionRefused
from .access import can_manage_cycles, can_read_cycles
from .blueprint import bp
from .model import AwardCategory, AwardCycle, AwardNomination, AwardReward, CycleStatus

MAX_REWARD = Decimal("100000.00")  # a sanity bound on one award


def rewards_of(cycle_id: int) -> dict[AwardCategory, Decimal]:
    return {r.category: r.amount for r in db.session.scalars(select(AwardReward).where(AwardReward.cycle_id == cycle_id))}


def reward_for(nom: AwardNomination) -> Decimal:
    amount = db.session.scalar(select(AwardReward.amount).where(
        AwardReward.cycle_id == nom.cycle_id, AwardReward.category == nom.category))
    return amount or Decimal("0")


def _decided_count(cycle_id: int) -> int:
    """Nominations 校党委 has decided on (approved, then publicized, awarded or revoked)."""
    return db.session.scalar(select(func.count(AwardNomination.id)).where(
        AwardNomination.cycle_id == cycle_id,
        AwardNomination.state.in_((RequestState.APPROVED, RequestState.PUBLICIZING, RequestState.AWARDED,
                                   RequestState.REVOKED)))) or 0


def locked_reason(cycle: AwardCycle) -> str | None:
    if cycle.status is not CycleStatus.OPEN:
        return "本次评选已发布公示，奖励标准不能再修改"
    if _decided_count(cycle.id):
        return "已有推荐经校党委决定，奖励标准不能再修改（同一类别的表彰对象奖励相同）"
    return None


def set_rewards(cycle_id: int, user, amounts: dict[AwardCategory, Decimal]) -> None:
    """Replace the cycle's standards (a category absent or 0 carries no money). Raises ActionRefused."""
    if not can_manage_cycles(user):
        raise ActionRefused("只有党委组织部可以设置奖励标准")
    cycle = db.session.get(AwardCycle, cycle_id)
    # The cycle row, locked while open: a decision on a nomination waits for this change or sees it.
    touched = db.session.execute(update(AwardCycle).where(AwardCycle.id == cycle_id,
                                                          AwardCycle.status == CycleStatus.OPEN)
                                 .values(updated_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    reason = "本次评选已发布公示，奖励标准不能再修改" if not touched else locked_reason(cycle)
    if reason:
        db.session.rollback()
        raise ActionRefused(reason)
    db.session.execute(delete(AwardReward).where(AwardReward.cycle_id == cycle_id))
    for cat, amount in amounts.items():
        if amount > 0:
            db.session.add(AwardReward(cycle_id=cycle_id, category=cat, amount=amount))
    audit.record("award_cycle.rewards_set", cycle, user=user,
                 rewards={c.value: str(a) for c, a in amounts.items() if a > 0})
    db.session.commit()


# --- the nomination's transitions (workflow.on_transition calls these) ---

def check_line(nom: AwardNomination) -> str | None:
    """组织部审核's check: the year's 表彰奖励 line can pay this award; the timeline's note, or None."""
    amount = reward_for(nom)
    if not amount:
        return None
    refused = budget.shortfall(nom.cycle.year, BudgetLineKind.AWARD, amount, what="本项奖励",
                               unset_hint="，请先在「经费预算」中设置后再审核")
    if refused:
        raise ActionRefused(refused)
    return f"经费核查：{nom.cycle.year}年度「表彰奖励」校级预算余额足以支付奖励 {format_yuan(amount)}"


def reserve(nom: AwardNomination, actor_id: int | None) -> str | None:
    """校党委决定: reserve the award's money (refused with the balance when the line cannot pay)."""
    amount = reward_for(nom)
    if not amount:
        return None
    budget.reserve(nom.cycle.year, BudgetLineKind.AWARD, amount, nom.id, actor_id)
    return f"已从{nom.cycle.year}年度校级「表彰奖励」预算预留奖励 {format_yuan(amount)}"


def release(nom: AwardNomination, actor_id: int | None) -> str | None:
    held = budget.held_amount(nom.id)
    if not held:
        return None
    budget.release(nom.id, actor_id, note=f"{nom.number} 撤销推荐")
    return f"已释放预留的表彰奖励经费 {format_yuan(held)}"


# --- the page ---

@bp.route("/cycles/<int:cycle_id>/rewards", methods=["GET", "POST"])
@login_required
def rewards(cycle_id: int):
    if not can_read_cycles(current_user):
        abort(404)
    cycle = db.session.get(AwardCycle, cycle_id) or abort(404)
    current = rewards_of(cycle.id)
    errors, values = {}, {c: (str(current[c]) if c in current else "") for c in cycle.category_list}
    locked = locked_reason(cycle)
    if request.method == "POST":
        if not can_manage_cycles(current_user):
            abort(404)
        amounts = {}
        for cat in cycle.category_list:
            raw = (request.form.get(f"reward-{cat.value}") or "").strip()
            values[cat] = raw
            try:
                amounts[cat] = parse_yuan(raw, maximum=MAX_REWARD) if raw else Decimal("0")
                if amounts[cat] < 0:
                    raise MoneyError("奖励金额不能为负数")
            except MoneyError as exc:
                errors[cat] = str(exc)
        if not errors:
            try:
                set_rewards(cycle.id, current_user._get_current_object(), amounts)
            except ActionRefused as exc:
                flash(exc.message, "danger")
            else:
                flash("奖励标准已保存", "success")
                return redirect(url_for(".cycle_view", cycle_id=cycle.id))
    return render_template("award_nomination/rewards.html", cycle=cycle, values=values, errors=errors, locked=locked,
                           can_manage=can_manage_cycles(current_user),
                           line=budget.line_for(cycle.year, BudgetLineKind.AWARD))
