"""七一/春节 集中慰问 (§三(三)1): one action makes a DRAFT for every member of a unit in the difficulty
registry (困难党员台账: confirmed entries). It skips the user themself (回避), members who have died, and members
who already have that visit this year; a second run makes nothing new. Drafts stay the initiator's
until each is reviewed and submitted, or deleted."""
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Request, RequestState
from dangjian.request_types.condolence.campaign import occasion_date
from dangjian.request_types.condolence.model import CondolenceCategory, CondolencePayment, FundingSource, PayeeKind
from dangjian.timeutil import local_today
from dangjian.workflow import available_actions
from tests.factories import make_member
from tests.factories_care import registered
from tests.factories_condolence import new_condolence, setup_settings

YEAR = local_today().year


@pytest.fixture
def o(app, org):
    """The registry of branch_a1: 王喆 生活困难, 张堃 独居, 李书记 (the secretary) 老弱病残, one member who
    died (a 亡故 request exists), one who already had this year's 七一 visit; 赵支委 is not in it."""
    setup_settings(org)
    registered(org.member.member, "living")
    registered(org.member2.member, "alone")
    registered(org.secretary.member, "frail")
    org.late = make_member(org.branch_a1, "钱老")
    org.visited = make_member(org.branch_a1, "孙老")
    org.other_unit = make_member(org.branch_b1, "周老")
    org.sibling = make_member(org.branch_a2, "吴同学")
    # A member whose flags say 生活困难 but who is not (or no longer) in the registry is not visited.
    org.flag_only = make_member(org.branch_a1, "郑旗", living_difficulty=True)
    db.session.flush()
    registered(org.late, "frail", "alone")
    registered(org.visited, "living")
    registered(org.other_unit, "living")
    registered(org.sibling, "living")
    db.session.commit()
    org.death = new_condolence(org.late, org.committee, category=CondolenceCategory.DEATH,
                               payee_kind=PayeeKind.FAMILY, payee_name="钱家属", payee_relation="子女")
    org.july = new_condolence(org.visited, org.committee, category=CondolenceCategory.JULY_FIRST,
                              event_date=date(YEAR, 7, 1))
    return org


def drafts_of(user):
    db.session.expire_all()
    return db.session.scalars(select(CondolencePayment).where(
        CondolencePayment.initiator_id == user.id, CondolencePayment.state == RequestState.DRAFT)
        .order_by(CondolencePayment.id)).all()


def run(client, unit, occasion="july_first", funding="unit", year=YEAR):
    return client.post("/condolence/campaign", data={"unit": unit.id, "occasion": occasion, "year": year,
                                                     "funding": funding})


def test_the_preview_lists_the_registry_with_what_will_happen(o, auth, client):
    auth.login(o.secretary)
    page = client.get(f"/condolence/campaign?unit={o.branch_a1.id}&occasion=july_first&year={YEAR}").get_data(as_text=True)
    for text in ["王喆", "张堃", "生活困难", "独居", "将生成 2 份草稿", "跳过：本人（回避",
                 f"跳过：已亡故（{o.death.number}）", f"跳过：{YEAR}年已有七一走访（{o.july.number}，审批中）"]:
        assert text in page, text
    assert "赵支委" not in page and "周老" not in page and "吴同学" not in page


def test_one_action_makes_a_draft_for_each_member_in_the_registry(o, auth, client):
    auth.login(o.secretary)
    resp = run(client, o.branch_a1)
    assert resp.status_code == 302
    drafts = drafts_of(o.secretary)
    assert [d.beneficiary.name for d in drafts] == ["王喆", "张堃"]
    for d in drafts:
        assert (d.category, d.event_date, d.amount, d.standard_amount) == (
            CondolenceCategory.JULY_FIRST, date(YEAR, 7, 1), Decimal("500.00"), Decimal("500.00"))
        assert (d.funding_source, d.payee_name, d.initiator_level.value) == (FundingSource.UNIT, d.beneficiary.name,
                                                                             "branch")
        assert d.submitted_at is None and d.current_step is None
        assert re.fullmatch(r"WW-\d{4}-\d{4}", d.number)
    assert "生活困难" in drafts[0].event_description and "独居" in drafts[1].event_description
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "condolence.campaign")).one()
    assert drafts[0].number in audit.detail
    # The page lists them for review; a second run makes nothing new.
    page = client.get("/condolence/campaign").get_data(as_text=True)
    assert drafts[0].number in page and "核对提交" in page
    run(client, o.branch_a1)
    assert len(drafts_of(o.secretary)) == 2


def test_drafts_are_not_for_approvers_until_submitted(o, auth, client):
    auth.login(o.secretary)
    run(client, o.branch_a1)
    draft = drafts_of(o.secretary)[0]
    assert available_actions(draft, o.secondary) == []
    auth.login(o.secondary)
    assert client.get(f"/requests/{draft.id}").status_code == 404
    assert f"inbox-item-{draft.id}" not in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(o.member)  # the beneficiary neither
    assert client.get(f"/requests/{draft.id}").status_code == 404
    # The secretary reviews and submits it: now it is the secondary unit's to decide.
    auth.login(o.secretary)
    form = client.get(f"/condolence/{draft.id}/edit").get_data(as_text=True)
    assert 'value="500.00"' in form and f'value="{YEAR}-07-01"' in form
    data = {"member_id": str(draft.beneficiary_id), "category": "july_first", "event_date": f"{YEAR}-07-01",
            "event_description": draft.event_description, "amount": "500.00", "funding_source": "unit",
            "planned_visitors": "李书记", "planned_date": local_today().isoformat(), "payee_kind": "member",
            "version": str(draft.version)}
    assert client.post(f"/condolence/{draft.id}/edit", data=data).status_code == 302
    auth.login(o.secondary)
    assert f"inbox-item-{draft.id}" in client.get("/inbox/todo").get_data(as_text=True)


def test_a_draft_is_deleted_from_the_campaign_page(o, auth, client):
    auth.login(o.secretary)
    run(client, o.branch_a1)
    first, second = drafts_of(o.secretary)
    assert client.post(f"/condolence/{first.id}/delete", data={"next": "campaign"}).headers["Location"].endswith(
        "/condolence/campaign")
    assert [d.id for d in drafts_of(o.secretary)] == [second.id]
    assert db.session.get(Request, first.id) is None
    # The member deleted has no visit this year any more: a new run makes their draft again.
    run(client, o.branch_a1)
    assert [d.beneficiary.name for d in drafts_of(o.secretary)] == ["张堃", "王喆"]


def test_the_secondary_unit_runs_it_for_all_its_branches(o, auth, client):
    auth.login(o.secondary)
    page = client.get("/condolence/campaign").get_data(as_text=True)
    assert "会计学院党委（全部党支部）" in page and "经济学院" not in page
    run(client, o.sec_a, occasion="spring_festival", funding="school")
    drafts = drafts_of(o.secondary)
    assert sorted(d.beneficiary.name for d in drafts) == ["吴同学", "孙老", "张堃", "李书记", "王喆"]
    for d in drafts:
        assert (d.category, d.funding_source, d.initiator_level.value) == (
            CondolenceCategory.SPRING_FESTIVAL, FundingSource.SCHOOL, "secondary")
        assert d.event_date == occasion_date(CondolenceCategory.SPRING_FESTIVAL, YEAR)


def test_a_branch_secretary_cannot_run_it_for_another_branch(o, auth, client):
    auth.login(o.secretary)
    run(client, o.branch_b1)  # not one of theirs: falls back to their own branch
    assert {d.beneficiary.branch_id for d in drafts_of(o.secretary)} == {o.branch_a1.id}
    page = client.get("/condolence/campaign").get_data(as_text=True)
    assert "经济学院教工党支部" not in page


def test_without_a_standard_no_campaign(app, org, auth, client):
    registered(org.member.member, "living")
    db.session.commit()
    auth.login(org.secretary)
    page = client.get("/condolence/campaign").get_data(as_text=True)
    assert "组织部尚未设置「七一走访」的慰问标准" in page or "组织部尚未设置「春节走访」的慰问标准" in page
    assert "份草稿</button>" not in page
    run(client, org.branch_a1)
    assert drafts_of(org.secretary) == []


def test_spring_festival_dates():
    assert occasion_date(CondolenceCategory.SPRING_FESTIVAL, 2026) == date(2026, 2, 17)
    assert occasion_date(CondolenceCategory.SPRING_FESTIVAL, 2027) == date(2027, 2, 6)
    assert occasion_date(CondolenceCategory.JULY_FIRST, 2026) == date(2026, 7, 1)
