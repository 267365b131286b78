"""核定调整: 组织部 changes one line of a batch at its 组织部核定 step — the amount (within the
branch's cap), the five items (which must add up to the amount) and the payment method.

The same rules serve the form (errors next to each field) and the workflow hook (which refuses
the action with the first of them), so an adjustment made without the form obeys them too.
"""
from __future__ import annotations

from decimal import Decimal

from ...money import MoneyError, format_yuan, parse_yuan
from .compute import branch_cap
from .model import ITEM_KEYS, ITEM_LABELS, ITEMS, AllowanceLine, PaymentMethod, SecretaryAllowance


class AdjustmentInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors

    @property
    def first(self) -> tuple[str, str]:
        return next(iter(self.errors.items()))


def _money(value) -> Decimal:
    if isinstance(value, Decimal):
        text = str(value)
    else:
        text = str(value if value is not None else "")
    return parse_yuan(text)


def clean(batch: SecretaryAllowance, payload: dict) -> tuple[AllowanceLine, dict]:
    """Check an adjustment; returns (line, values) or raises AdjustmentInvalid with a Chinese
    message per field (line_id, amount, one of ITEM_KEYS, payment_method)."""
    errors: dict[str, str] = {}
    try:
        line_id = int(payload.get("line_id"))
    except (TypeError, ValueError):
        line_id = None
    line = next((ln for ln in batch.lines if ln.id == line_id), None)
    if line is None:
        raise AdjustmentInvalid({"line_id": "请选择要调整的支部和书记"})

    values: dict = {}
    try:
        values["amount"] = _money(payload.get("amount"))
        if values["amount"] <= 0:
            raise MoneyError("补贴金额应大于0")
    except MoneyError as exc:
        errors["amount"] = f"补贴金额：{exc}" if not str(exc).startswith("补贴金额") else str(exc)
    for key in ITEM_KEYS:
        try:
            values[key] = _money(payload.get(key))
            if values[key] < 0:
                raise MoneyError("不能为负数")
        except MoneyError as exc:
            errors[key] = f"{ITEM_LABELS[key]}：{exc}"
    method = payload.get("payment_method")
    try:
        values["payment_method"] = PaymentMethod(method.value if isinstance(method, PaymentMethod) else method)
    except ValueError:
        errors["payment_method"] = "请选择发放方式"

    if "amount" in values and all(k in values for k in ITEM_KEYS):
        items_total = sum((values[k] for k in ITEM_KEYS), Decimal("0.00"))
        if items_total != values["amount"]:
            errors.setdefault("amount", (
                f"五项明细合计 {format_yuan(items_total)} 与补贴金额 {format_yuan(values['amount'])} 不一致，"
                "请核对电话补助、交通补助、资料费、岗位补贴和考核奖励"))
    if "amount" in values and "amount" not in errors:
        cap = branch_cap(batch.standard, line.months_existed)
        others = sum((ln.amount for ln in batch.branch_lines(line.branch_id) if ln.id != line.id),
                     Decimal("0.00"))
        if others + values["amount"] > cap:
            room = cap - others
            errors["amount"] = (
                f"{line.branch.name}{batch.year}年度补贴合计不能超过 {format_yuan(cap)}"
                f"（全年标准 {format_yuan(batch.standard)} × 存续 {line.months_existed} 个月 ÷ 12）"
                + (f"，本行最多 {format_yuan(room)}" if others else ""))
    if errors:
        raise AdjustmentInvalid(errors)
    return line, values


def describe(line: AllowanceLine, values: dict) -> str:
    """The timeline's summary: "会计学院教工第一党支部 李明华：¥3,000.00 → ¥2,500.00；考核奖励 ¥600.00 → ¥100.00"."""
    changes = []
    if values["amount"] != line.amount:
        changes.append(f"{format_yuan(line.amount)} → {format_yuan(values['amount'])}")
    for key, label in ITEMS:
        if values[key] != getattr(line, key):
            changes.append(f"{label} {format_yuan(getattr(line, key))} → {format_yuan(values[key])}")
    if values["payment_method"] is not line.payment_method:
        changes.append(f"发放方式 {line.payment_method.label} → {values['payment_method'].label}")
    if not changes:
        return ""
    return f"{line.who}：" + "；".join(changes)


def check(batch: SecretaryAllowance, payload: dict) -> tuple[AllowanceLine, dict, str]:
    """Everything `apply` checks, without changing anything: (line, values, timeline detail)."""
    line, values = clean(batch, payload)
    detail = describe(line, values)
    if not detail:
        raise AdjustmentInvalid({"amount": "没有任何改动：请修改金额、明细或发放方式后再保存"})
    return line, values, detail


def apply(batch: SecretaryAllowance, payload: dict) -> str:
    """Check and apply one adjustment; returns the timeline detail. Raises AdjustmentInvalid."""
    line, values, detail = check(batch, payload)
    line.amount = values["amount"]
    for key in ITEM_KEYS:
        setattr(line, key, values[key])
    line.payment_method = values["payment_method"]
    batch.amount = batch.total
    return detail
