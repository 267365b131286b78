"""慰问金 test helpers: standards, the threshold, the budget line, and requests made through the engine."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from dangjian.extensions import db
from dangjian.models import BudgetLine, BudgetLineKind, Role
from dangjian.request_types.condolence.model import (CondolenceCategory, CondolencePayment, FundingSource,
                                                     InitiatorLevel, PayeeKind, set_standard, set_threshold,
                                                     standard_for, threshold_in_force)
from dangjian.timeutil import local_today
from dangjian.workflow import Action, apply_action, create_request

STANDARDS = {
    CondolenceCategory.DEATH: "2000.00", CondolenceCategory.HOSPITALIZED: "1000.00",
    CondolenceCategory.FAMILY_ACCIDENT: "1000.00", CondolenceCategory.SPECIAL_HARDSHIP: "800.00",
    CondolenceCategory.IDEOLOGICAL: "300.00", CondolenceCategory.JULY_FIRST: "500.00",
    CondolenceCategory.SPRING_FESTIVAL: "500.00", CondolenceCategory.REGULAR_VISIT: "300.00",
}
THRESHOLD = "1000.00"


def setup_settings(o, threshold: str | None = THRESHOLD) -> None:
    """组织部's standards for every category, and the threshold (None: not set)."""
    for category, amount in STANDARDS.items():
        set_standard(category, Decimal(amount), local_today(), o.org_dept_user)
    if threshold is not None:
        set_threshold(Decimal(threshold), local_today(), o.org_dept_user)
    db.session.commit()


def set_budget(amount: str, year: int | None = None, kind=BudgetLineKind.CONDOLENCE) -> BudgetLine:
    line = BudgetLine(year=year or local_today().year, kind=kind, amount=Decimal(amount),
                      reserved=Decimal("0"), spent=Decimal("0"))
    db.session.add(line)
    db.session.commit()
    return line


def budget_line(year: int | None = None) -> BudgetLine:
    from dangjian.budget import line_for

    db.session.expire_all()
    return line_for(year or local_today().year, BudgetLineKind.CONDOLENCE)


def new_condolence(member_user, initiator, *, category=CondolenceCategory.HOSPITALIZED, amount=None,
                   funding=FundingSource.UNIT, submit=True, level=None, **kw) -> CondolencePayment:
    """A 慰问金 for member_user's member, started by `initiator` (a branch holder by default)."""
    member = member_user.member if hasattr(member_user, "member") else member_user
    standard = standard_for(category)
    threshold = threshold_in_force()
    if level is None:
        level = InitiatorLevel.BRANCH if initiator.holds(Role.BRANCH_SECRETARY, member.branch_id) \
            else InitiatorLevel.SECONDARY
    values = dict(
        organization=member.branch, beneficiary=member, initiator_level=level, category=category,
        event_description="因病住院手术，家庭经济困难。", event_date=local_today() - timedelta(days=3),
        amount=Decimal(amount) if amount is not None else standard.amount,
        standard_amount=standard.amount, funding_source=funding,
        threshold_amount=threshold.amount if threshold else None,
        planned_visitors="李书记、赵支委", planned_date=local_today() + timedelta(days=2),
        payee_kind=PayeeKind.MEMBER, payee_name=member.name)
    if values["amount"] > standard.amount:
        values["over_standard_reason"] = "病情较重，家庭特别困难。"
    values.update(kw)
    req = CondolencePayment(**values)
    create_request(req, initiator)
    if submit:
        apply_action(req, initiator, Action.SUBMIT)
    else:
        db.session.commit()
    return req


def payment_payload(req, paid=None, visit=None, receipts=None) -> dict:
    from dangjian.models import Attachment
    from dangjian.request_types.condolence.model import RECEIPT_KIND

    receipt = Attachment(kind=RECEIPT_KIND, filename="签收单.pdf", storage_path="test/receipt.pdf",
                         sha256="0" * 64, size=10, content_type="application/pdf",
                         uploaded_by_id=req.initiator_id)
    return {"visit_date": visit or local_today() - timedelta(days=1), "visitors": "李书记、赵支委",
            "paid_amount": Decimal(paid) if paid is not None else req.amount,
            "receipts": [receipt] if receipts is None else receipts}

