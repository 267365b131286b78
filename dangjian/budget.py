"""Budget operations (§四 经费保障). Each runs inside the caller's transaction.

A reservation is one conditional UPDATE — `reserved += x WHERE amount - reserved - spent >= x` — so
two approvals arriving at the same moment can never together exceed the line, on PostgreSQL
(row lock, re-checked WHERE) as on SQLite (one writer at a time).
"""
from decimal import Decimal

from sqlalchemy import func, literal, select, update

from .extensions import db
from .models.budget import BudgetEntry, BudgetLine, BudgetLineKind, Payment
from .money import Money, format_yuan


def as_money(amount: Decimal):
    """`amount` as a bound Money value (fen). Arithmetic on Money columns yields a plain integer
    expression, so a bare Decimal compared with it would be bound in yuan, not fen."""
    return literal(amount, Money())


class BudgetRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def line_for(year: int, kind: BudgetLineKind) -> BudgetLine | None:
    return db.session.scalar(select(BudgetLine).where(BudgetLine.year == year, BudgetLine.kind == kind))


def shortfall(year: int, kind: BudgetLineKind, amount: Decimal, what: str = "本申请",
              unset_hint: str = "") -> str | None:
    """Why the year's line cannot pay `amount` now (not set, or too little left), or None. For the
    check before the final approval (组织部's 审核/核定) and the warning when a request is started;
    the final approval's `reserve` decides, whatever was checked before."""
    line = line_for(year, kind)
    if line is None:
        return f"{year}年度「{kind.label}」校级预算尚未设置{unset_hint}"
    if line.balance < amount:
        return (f"{year}年度「{kind.label}」校级预算余额不足：{what} {format_yuan(amount)}，"
                f"当前余额 {format_yuan(line.balance)}")
    return None


def reserve(year: int, kind: BudgetLineKind, amount: Decimal, request_id: int, actor_id: int | None) -> None:
    line = line_for(year, kind)
    if line is None:
        raise BudgetRefused(f"{year}年度「{kind.label}」校级预算尚未设置，请联系组织部")
    done = db.session.execute(
        update(BudgetLine)
        .where(BudgetLine.id == line.id,
               BudgetLine.amount - BudgetLine.reserved - BudgetLine.spent >= as_money(amount))
        .values(reserved=BudgetLine.reserved + amount)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done != 1:
        db.session.refresh(line)
        raise BudgetRefused(f"{year}年度「{kind.label}」校级预算余额不足：本次需 {format_yuan(amount)}，"
                            f"当前余额 {format_yuan(line.balance)}")
    db.session.add(BudgetEntry(line_id=line.id, request_id=request_id, kind="reserve", amount=amount,
                               actor_id=actor_id))


def reserved_for(request_id: int) -> list[tuple[int, Decimal]]:
    """(line id, amount still reserved) for a request."""
    rows = db.session.execute(
        select(BudgetEntry.line_id, BudgetEntry.kind, func.sum(BudgetEntry.amount))
        .where(BudgetEntry.request_id == request_id).group_by(BudgetEntry.line_id, BudgetEntry.kind)
    ).all()
    totals: dict[int, Decimal] = {}
    for line_id, kind, amount in rows:
        amount = Decimal(amount) / 100 if not isinstance(amount, Decimal) else amount
        sign = 1 if kind == "reserve" else -1 if kind in ("release", "spend") else 0
        totals[line_id] = totals.get(line_id, Decimal("0")) + sign * amount
    return [(line_id, amt) for line_id, amt in totals.items() if amt > 0]


def release(request_id: int, actor_id: int | None, note: str = "") -> None:
    """Give back what a request still holds (rejected, withdrawn, cancelled)."""
    for line_id, amount in reserved_for(request_id):
        db.session.execute(update(BudgetLine).where(BudgetLine.id == line_id)
                           .values(reserved=BudgetLine.reserved - amount)
                           .execution_options(synchronize_session=False))
        db.session.add(BudgetEntry(line_id=line_id, request_id=request_id, kind="release", amount=amount,
                                   actor_id=actor_id, note=note))


def spend(request_id: int, actor_id: int | None, note: str = "", amount: Decimal | None = None) -> None:
    """Turn a request's reservation into spending (the payment was made). With `amount` (a payment
    below what was reserved), only that much is spent and the rest of the reservation is released."""
    remaining = amount
    for line_id, reserved in reserved_for(request_id):
        paid = reserved if remaining is None else min(remaining, reserved)
        db.session.execute(update(BudgetLine).where(BudgetLine.id == line_id)
                           .values(reserved=BudgetLine.reserved - reserved, spent=BudgetLine.spent + paid)
                           .execution_options(synchronize_session=False))
        db.session.add(BudgetEntry(line_id=line_id, request_id=request_id, kind="spend", amount=paid,
                                   actor_id=actor_id, note=note))
        if paid < reserved:
            db.session.add(BudgetEntry(line_id=line_id, request_id=request_id, kind="release",
                                       amount=reserved - paid, actor_id=actor_id, note="实际支出低于预留，释放差额"))
        if remaining is not None:
            remaining -= paid


def held_amount(request_id: int) -> Decimal:
    """What a request still holds reserved, over all lines."""
    return sum((amount for _, amount in reserved_for(request_id)), Decimal("0"))


def record_payment(req, amount: Decimal, paid_on, payer: str, voucher_no: str, actor_id: int | None) -> Payment:
    """发放登记 (§四): the money reserved for `req` was paid — `amount` (at most what is reserved; the
    rest is released) moves from reserved to spent, and the payment is recorded with its date, payer
    and voucher. Runs inside the transition that records it (the engine's conditional UPDATE makes
    two clicks one payment; the unique key on the request holds it in the database too)."""
    held = reserved_for(req.id)
    total = sum((amt for _, amt in held), Decimal("0"))
    if not held:
        raise BudgetRefused(f"{req.number} 没有预留的校级经费，不能登记发放")
    if amount <= 0:
        raise BudgetRefused("发放金额必须大于0")
    if amount > total:
        raise BudgetRefused(f"发放金额不能超过预留金额（{format_yuan(total)}）")
    spend(req.id, actor_id, note=f"{req.number} 发放，凭证号 {voucher_no}", amount=amount)
    payment = Payment(request_id=req.id, line_id=held[0][0], amount=amount, paid_on=paid_on, payer=payer,
                      voucher_no=voucher_no, recorded_by_id=actor_id)
    db.session.add(payment)
    return payment


def payment_of(request_id: int) -> Payment | None:
    return db.session.scalar(select(Payment).where(Payment.request_id == request_id))
