"""登记发放 (§四 经费保障): 组织部 (or the 财务 staff working for it) records that school money
reserved for an approved request was paid — the date, who paid, the voucher number and the amount —
and the reservation moves to spent on its budget line.

A request type offers it with a transition on Action.RECORD_PAID (guard `unpaid_guard`) and calls
`record(ctx)` from its on_transition hook: the engine's conditional UPDATE makes two clicks one
payment, the hook moves the money (budget.record_payment) in the same transaction, and the engine
writes the timeline and audit rows. The form and the route are web/payments.py.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from . import budget
from .money import format_yuan, yuan_capital
from .timeutil import local_today
from .workflow.errors import ActionRefused

MAX_TEXT = 50


def unpaid_guard(req) -> str | None:
    """Only a request that still holds school money, and has no payment recorded yet."""
    if budget.payment_of(req.id) is not None:
        return "该申请已登记发放"
    if budget.held_amount(req.id) <= 0:
        return "该申请没有预留的校级经费，无需登记发放"
    return None


def check(paid_on: date | None, payer: str, voucher_no: str, amount: Decimal | None, held: Decimal) -> list[tuple[str, str]]:
    """What is wrong with a payment's fields, as (field, message); empty when it may be recorded."""
    problems = []
    if paid_on is None:
        problems.append(("paid_on", "请填写发放日期"))
    elif paid_on > local_today():
        problems.append(("paid_on", "发放日期不能晚于今天"))
    if not payer:
        problems.append(("payer", "请填写经办人"))
    elif len(payer) > MAX_TEXT:
        problems.append(("payer", f"经办人不能超过{MAX_TEXT}字"))
    if not voucher_no:
        problems.append(("voucher_no", "请填写凭证号"))
    elif len(voucher_no) > MAX_TEXT:
        problems.append(("voucher_no", f"凭证号不能超过{MAX_TEXT}字"))
    if amount is None or amount <= 0:
        problems.append(("amount", "请填写实际发放金额"))
    elif amount > held:
        problems.append(("amount", f"实际发放金额不能超过预留金额（{format_yuan(held)}）"))
    return problems


def record(ctx) -> None:
    """The hook's part: check the payload again (the form checked it), move the money, describe it."""
    req, p = ctx.request, ctx.payload
    held = budget.held_amount(req.id)
    payer, voucher = (p.get("payer") or "").strip(), (p.get("voucher_no") or "").strip()
    amount = p.get("amount") if p.get("amount") is not None else held
    problems = check(p.get("paid_on"), payer, voucher, amount, held)
    if problems:
        field, message = problems[0]
        raise ActionRefused(message, field=field)
    budget.record_payment(req, amount, p["paid_on"], payer, voucher, ctx.user.id)
    detail = (f"发放日期 {p['paid_on']:%Y-%m-%d}，经办人 {payer}，凭证号 {voucher}，"
              f"实际发放 {format_yuan(amount)}（{yuan_capital(amount)}）")
    if amount < held:
        detail += f"；低于预留金额，差额 {format_yuan(held - amount)} 已释放回预算"
    ctx.entry.detail = detail
