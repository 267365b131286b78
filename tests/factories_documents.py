"""A document of every kind, made through the real workflows: one approved request of each type
(党费减免, 慰问金, 兼职支部书记补贴 with its 核定通知, 表彰推荐) and an award cycle published and closed
(公示, 表彰决定). Used by tests/test_pdfa.py and by the bench's document sizes (bench/documents.py)."""
from datetime import datetime

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Document
from dangjian.request_types.award_nomination.publicity import close_publicity_periods, publish_cycle
from dangjian.request_types.condolence.model import CondolenceCategory, FundingSource, PayeeKind
from dangjian.workflow import Action, apply_action
from tests.factories import make_member, make_user
from tests.factories_allowance import allowance_world, new_batch
from tests.factories_award import MEMBER, decide, forward, make_cycle, nominate
from tests.factories_condolence import new_condolence, set_budget, setup_settings

PUBLISHED = datetime(2026, 6, 19, 4, 0)  # Friday 19 June 2026, noon in Beijing


def every_kind(org, render) -> list[Document]:
    """One approved request of each type, an award cycle published and closed; `render()` renders
    what is pending (tests: a real RQ worker; the bench: in-process)."""
    from tests.test_document_jobs import approved_request

    approved_request(org)  # 党费减免审批表

    setup_settings(org)
    set_budget("10000.00")
    condolence = new_condolence(org.member2, org.secretary, category=CondolenceCategory.DEATH, amount="2500.00",
                                funding=FundingSource.SCHOOL, payee_kind=PayeeKind.FAMILY, payee_name="王秀兰",
                                payee_relation="配偶", over_standard_reason="家中子女尚幼，生活特别困难。")
    for user in (org.secondary, org.org_dept_user, org.school_user):
        apply_action(condolence, user, Action.APPROVE, opinion="同意。")

    allowance_world(org)
    batch = new_batch(org.sec_b, org.secondary_b)
    apply_action(batch, org.org_dept2, Action.APPROVE, opinion="经核定，同意。")
    apply_action(batch, org.school_user2, Action.APPROVE, opinion="同意发放。")

    nominee = make_user("rare", make_member(org.branch_a2, "钱赟堃"))
    db.session.commit()
    cycle = make_cycle(org)
    person = nominate(cycle, org.secretary_a2, MEMBER, member_user=nominee)
    forward(person, org.secondary)
    apply_action(person, org.org_dept_user, Action.APPROVE, opinion="经审核，符合条件。")
    decide(person, org.school_user)
    render()
    publish_cycle(cycle.id, org.org_dept_user, now=PUBLISHED)
    db.session.expire_all()
    close_publicity_periods(now=cycle.publicity_ends_at)
    render()
    return list(db.session.scalars(select(Document).order_by(Document.id)))
