"""Demo data for 慰问金: standards, the threshold, this year's budget lines (all three, so the other
workflows have theirs), and requests in several states so every path can be tried at once:

* waiting for the secondary unit (`erji`): a unit-funded 患病住院 visit below the threshold;
* waiting for 组织部 (`zuzhibu`): a school-funded 亡故 payment to the family;
* approved and waiting for the direct branch (`zhishu`) to record the visit and the payment;
* completed: a 春节 visit with its payment recorded.
"""
from __future__ import annotations

import base64
import hashlib
import os
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from ...budget import line_for
from ...extensions import db
from ...models import Attachment, BudgetEntry, BudgetLine, BudgetLineKind, Member, Role
from ...timeutil import local_today
from ...workflow import Action, apply_action, create_request
from .model import (RECEIPT_KIND, CondolenceCategory, CondolencePayment, FundingSource, InitiatorLevel, PayeeKind,
                    set_standard, set_threshold)

STANDARDS = {
    CondolenceCategory.DEATH: "2000.00",
    CondolenceCategory.HOSPITALIZED: "1000.00",
    CondolenceCategory.FAMILY_ACCIDENT: "1000.00",
    CondolenceCategory.SPECIAL_HARDSHIP: "800.00",
    CondolenceCategory.IDEOLOGICAL: "300.00",
    CondolenceCategory.JULY_FIRST: "500.00",
    CondolenceCategory.SPRING_FESTIVAL: "500.00",
    CondolenceCategory.REGULAR_VISIT: "300.00",
}
THRESHOLD = "1000.00"
BUDGET = {BudgetLineKind.CONDOLENCE: "200000.00", BudgetLineKind.ALLOWANCE: "150000.00",
          BudgetLineKind.AWARD: "100000.00"}
# A 1×1 PNG: the "photo" of the demo's recorded visit.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==")


def _member(branch, taken, **flags):
    """A member of `branch` without a login account, not used by an earlier demo request."""
    query = select(Member).where(Member.branch_id == branch.id, Member.user == None)  # noqa: E711
    for key, value in flags.items():
        query = query.where(getattr(Member, key).is_(value))
    for m in db.session.scalars(query.order_by(Member.id.desc())):  # the dues demo takes the first
        if m.id not in taken:
            taken.add(m.id)
            return m
    return None


def _request(initiator, member, level, category, amount, funding, text, days_ago, **kw):
    today = local_today()
    values = dict(
        organization=member.branch, beneficiary=member, initiator_level=level, category=category,
        event_description=text, event_date=today - timedelta(days=days_ago), amount=Decimal(amount),
        standard_amount=Decimal(STANDARDS[category]), funding_source=funding, threshold_amount=Decimal(THRESHOLD),
        planned_visitors=initiator.display_name, planned_date=today + timedelta(days=2),
        payee_kind=PayeeKind.MEMBER, payee_name=member.name)
    values.update(kw)
    req = CondolencePayment(**values)
    create_request(req, initiator)
    apply_action(req, initiator, Action.SUBMIT)
    return req


def load_demo(ctx) -> None:
    zuzhibu = ctx.users["zuzhibu"]
    today = local_today()
    for category, amount in STANDARDS.items():
        set_standard(category, Decimal(amount), today, zuzhibu, note="演示数据：年初核定")
    set_threshold(Decimal(THRESHOLD), today, zuzhibu, note="演示数据：单笔超过1000元报校级审批")
    for kind, amount in BUDGET.items():
        if line_for(today.year, kind) is None:
            line = BudgetLine(year=today.year, kind=kind, amount=Decimal(amount), reserved=Decimal("0"),
                              spent=Decimal("0"))
            db.session.add(line)
            db.session.flush()
            db.session.add(BudgetEntry(line_id=line.id, kind="set", amount=Decimal(amount), actor_id=zuzhibu.id,
                                       note="设定年度预算"))
    db.session.commit()

    users, acc1, direct = ctx.users, ctx.named["dangyuan"].branch, ctx.direct
    taken: set[int] = set()
    # 1. Waiting for erji: 王喆 (dangyuan, 生活困难) was in hospital; unit funds, at the standard.
    _request(users["zhibu"], ctx.named["dangyuan"], InitiatorLevel.BRANCH, CondolenceCategory.HOSPITALIZED,
             "1000.00", FundingSource.UNIT,
             "王喆同志因急性阑尾炎于上周住院手术，目前恢复中，家庭经济较为困难。", 5)
    # 2. Waiting for zuzhibu: a member of the same branch died; school funds, paid to the spouse.
    deceased = _member(acc1, taken)
    if deceased is not None:
        req = _request(users["zhiwei"], deceased, InitiatorLevel.BRANCH, CondolenceCategory.DEATH, "2000.00",
                       FundingSource.SCHOOL, f"{deceased.name}同志因病医治无效不幸逝世，支部派人参加告别仪式并慰问家属。",
                       3, payee_kind=PayeeKind.FAMILY, payee_name="王秀兰" if deceased.gender == "男" else "张建军",
                       payee_relation="配偶")
        apply_action(req, users["erji"], Action.APPROVE, opinion="情况属实，同意按标准发放慰问金，报组织部审核。")
    # 3. Approved, waiting for the direct branch (zhishu) to record the visit: above the standard.
    patient = _member(direct, taken)
    if patient is not None:
        req = _request(users["zhishu"], patient, InitiatorLevel.BRANCH, CondolenceCategory.HOSPITALIZED, "1500.00",
                       FundingSource.SCHOOL, f"{patient.name}同志突发脑梗住院，需长期康复治疗，本人独居。", 10,
                       over_standard_reason="病情较重、需长期康复，且本人独居无人照料，经支委会研究建议适当提高慰问金额。")
        apply_action(req, users["zuzhibu"], Action.APPROVE, opinion="经核查，校级慰问金预算余额充足，同意。")
        apply_action(req, users["dangwei"], Action.APPROVE, opinion="同意。")
    # 4. Completed: a regular visit to an old member of a retired branch, the payment recorded.
    retired = ctx.branches.get("经济学院离退休党支部")
    old = _member(retired, taken) if retired is not None else None
    if old is None:
        return
    secretary = next((u for u in users.values() if u.holds(Role.BRANCH_SECRETARY, retired.id)), None)
    secondary = next((u for u in users.values() if u.holds(Role.SECONDARY, retired.parent_id)), None)
    if secretary is None or secondary is None or secretary.member_id == old.id:
        return
    req = _request(secretary, old, InitiatorLevel.BRANCH, CondolenceCategory.REGULAR_VISIT, "300.00",
                   FundingSource.UNIT, f"定期走访慰问离退休老党员{old.name}同志，了解身体和生活情况。", 20)
    apply_action(req, secondary, Action.APPROVE, opinion="同意。")
    rel = f"demo/condolence-{req.id}.png"
    path = os.path.join(current_app.config["UPLOAD_DIR"], rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(PNG)
    receipt = Attachment(kind=RECEIPT_KIND, filename="走访照片.png", storage_path=rel,
                         sha256=hashlib.sha256(PNG).hexdigest(), size=len(PNG), content_type="image/png",
                         uploaded_by_id=secretary.id)
    apply_action(req, secretary, Action.RECORD_PAYMENT, payload={
        "visit_date": today - timedelta(days=1), "visitors": f"{secretary.display_name}、{secondary.display_name}",
        "paid_amount": Decimal("300.00"), "receipts": [receipt]})
