"""走访慰问 (§三(二)2): a visit needs no money, names its visitors, date and reason, may point to the
慰问金 that paid; the roster lists the 老党员 (≥ 50 years on the occasion's date) and 老模范 due a
七一/春节 visit, with completion per unit; 纪委's figures count overdue reviews and visits."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dangjian.care import visits
from dangjian.care.figures import supervision_figures
from dangjian.care.models import RegistryEntry, Visit, VisitOccasion
from dangjian.care.registry import RegistryRefused
from dangjian.extensions import db
from dangjian.models import MemberStatus
from dangjian.timeutil import local_today
from tests.factories import approve, make_member
from tests.factories_care import registered
from tests.factories_condolence import new_condolence, setup_settings
from tests.org_support import field_errors

TODAY = local_today()
JULY = date(TODAY.year, 7, 1)


def _visit(org, member=None, user=None, **kw):
    values = dict(visited_on=TODAY, visitors="李书记、赵支委", reason="old_member", occasion="routine", notes="")
    values.update(kw)
    return visits.record_visit(user or org.secretary, member or org.member.member, **values)


def test_a_visit_without_money_is_recorded_with_its_visitors(org):
    v = _visit(org, notes="身体尚好")
    assert (v.visitors, v.reason.label, v.condolence_id, v.recorded_by_id) == ("李书记、赵支委", "老党员", None, org.secretary.id)
    assert db.session.scalar(select(func.count()).where(db.text("action = 'care.visit.recorded'"))
                             .select_from(db.table("audit_events"))) == 1


@pytest.mark.parametrize("kw,field,message", [
    ({"visited_on": None}, "visited_on", "请填写走访日期"),
    ({"visited_on": TODAY + timedelta(days=1)}, "visited_on", "走访日期不能晚于今天"),
    ({"visited_on": date(2004, 1, 1)}, "visited_on", "早于该党员的入党日期"),
    ({"visitors": " 、 "}, "visitors", "请填写走访人"),
    ({"visitors": "、".join(f"人{i}" for i in range(11))}, "visitors", "走访人最多10人"),
    ({"reason": "money"}, "reason", "请选择走访事由"),
    ({"occasion": "july_first", "occasion_year": None}, "occasion", "请选择七一或春节的年份"),
    ({"occasion": "july_first", "occasion_year": TODAY.year - 3}, "visited_on", "七一走访应在7月1日前后登记"),
    ({"notes": "x" * 1001}, "notes", "走访情况不能超过1000字"),
    ({"condolence_id": 99999}, "condolence_id", "所选慰问金申请不属于该党员"),
])
def test_a_bad_visit_is_refused_and_nothing_is_written(org, kw, field, message):
    with pytest.raises(RegistryRefused) as err:
        _visit(org, **kw)
    assert err.value.field == field and message in err.value.message
    assert db.session.scalar(select(func.count(Visit.id))) == 0


@pytest.mark.parametrize("who,member,allowed", [
    ("secretary", "member", True), ("secondary", "member", True), ("org_dept_user", "member", True),
    ("secretary_a2", "member", False), ("secondary_b", "member", False), ("supervisor", "member", False),
    ("school_user", "member", False), ("secretary", "secretary", False),  # nobody records a visit to themself
])
def test_who_may_record_a_visit(org, who, member, allowed):
    target = getattr(org, member).member
    if allowed:
        assert _visit(org, member=target, user=getattr(org, who)).id
    else:
        with pytest.raises(RegistryRefused):
            _visit(org, member=target, user=getattr(org, who))


def test_a_visit_points_to_the_condolence_that_paid_only_when_approved_and_the_members(org):
    setup_settings(org)
    pending = new_condolence(org.member.member, org.secretary)
    with pytest.raises(RegistryRefused, match="尚未审批通过"):
        _visit(org, condolence_id=pending.id)
    approve(pending, org.secondary)
    other = new_condolence(org.member2.member, org.secretary)
    approve(other, org.secondary)
    with pytest.raises(RegistryRefused, match="不属于该党员"):
        _visit(org, condolence_id=other.id)
    assert _visit(org, condolence_id=pending.id).condolence_id == pending.id


def _old(org, branch, name, joined, **kw):
    m = make_member(branch, name, **kw)
    m.joined_party_on, m.birth_date = joined, date(1940, 1, 1)
    return m


@pytest.fixture
def roster(org):
    """老党员 at 2026-07-01: joined 1976-07-01 (exactly 50) yes; 1976-07-02 no; a 老模范 joined 2005 yes;
    a deceased old member no. Two in sec_a (one visited), one in sec_b, one direct."""
    o = org
    o.exactly = _old(o, o.branch_a1, "满五十", date(1976, 7, 1))
    o.short = _old(o, o.branch_a1, "差一天", date(1976, 7, 2))
    o.model = make_member(o.branch_a2, "老模范", is_model_worker=True)
    o.gone = _old(o, o.branch_a1, "已故", date(1960, 1, 1), status=MemberStatus.DECEASED)
    o.b_old = _old(o, o.branch_b1, "经济老党员", date(1970, 3, 1))
    o.d_old = _old(o, o.direct, "直属老党员", date(1965, 5, 1))
    db.session.commit()
    return o


def test_the_roster_counts_fifty_years_at_the_occasion_date(roster):
    names = {m.name for m in db.session.scalars(visits.roster_query(roster.org_dept_user, VisitOccasion.JULY_FIRST, 2026))}
    assert names == {"满五十", "老模范", "经济老党员", "直属老党员"}
    # A year later 差一天 has 50 years too.
    names = {m.name for m in db.session.scalars(visits.roster_query(roster.org_dept_user, VisitOccasion.JULY_FIRST, 2027))}
    assert "差一天" in names


def test_completion_per_unit_for_the_org_department_and_the_secondary_unit(roster):
    db.session.add(Visit(member=roster.exactly, visited_on=date(2026, 6, 20), visitors="李书记", reason="old_member",
                         occasion=VisitOccasion.JULY_FIRST, occasion_year=2026, recorded_by_id=roster.secretary.id))
    # A routine visit, or last year's, does not count for 2026's 七一.
    db.session.add(Visit(member=roster.model, visited_on=date(2026, 6, 1), visitors="钱书记", reason="model_worker",
                         occasion=VisitOccasion.ROUTINE, recorded_by_id=roster.secretary_a2.id))
    db.session.commit()
    summary = {u["unit"].name: (u["due"], u["done"], u["todo"])
               for u in visits.roster_summary(roster.org_dept_user, VisitOccasion.JULY_FIRST, 2026)}
    assert summary == {"会计学院党委": (2, 1, 1), "经济学院党委": (1, 0, 1), "图书馆直属党支部": (1, 0, 1)}
    summary = {u["unit"].name: (u["due"], u["done"])
               for u in visits.roster_summary(roster.secondary, VisitOccasion.JULY_FIRST, 2026)}
    assert summary == {"会计学院教工第一党支部": (1, 1), "会计学院本科生党支部": (1, 0)}
    assert [m.name for m in db.session.scalars(
        visits.roster_query(roster.secondary, VisitOccasion.JULY_FIRST, 2026, done="no"))] == ["老模范"]


def test_the_roster_page_and_recording_from_it(roster, auth, client):
    auth.login(roster.secretary)
    html = client.get("/care/roster?occasion=july_first&year=2026").get_data(as_text=True)
    assert "满五十" in html and "经济老党员" not in html and "差一天" not in html
    assert f"/care/visits/new?member_id={roster.exactly.id}&amp;occasion=july_first&amp;year=2026" in html
    auth.login(roster.secondary_b)
    assert "满五十" not in client.get("/care/roster?occasion=july_first&year=2026").get_data(as_text=True)


def test_the_visit_form_shows_errors_next_to_fields(org, auth, client):
    auth.login(org.secretary)
    html = client.post("/care/visits/new", data={"member_id": org.member.member.id, "visited_on": "",
                                                  "visitors": "", "reason": "", "occasion": "routine"}).get_data(as_text=True)
    assert "请填写走访日期" in field_errors(html, "visited_on")
    resp = client.post("/care/visits/new", data={"member_id": org.member.member.id, "visited_on": TODAY.isoformat(),
                                                  "visitors": "李书记", "reason": "hardship", "occasion": "routine",
                                                  "notes": "送去米面油"})
    assert resp.status_code == 302
    v = db.session.scalars(select(Visit)).one()
    html = client.get(f"/care/visits/{v.id}").get_data(as_text=True)
    assert "送去米面油" in html and "生活困难" in html
    auth.login(org.school_user)  # 校党委 sees the visit, not its notes
    html = client.get(f"/care/visits/{v.id}").get_data(as_text=True)
    assert "李书记" in html and "送去米面油" not in html
    auth.login(org.secondary_b)
    assert client.get(f"/care/visits/{v.id}").status_code == 404
    assert "王喆" not in client.get("/care/visits").get_data(as_text=True)


def test_supervision_figures_for_a_unit_and_year(roster):
    e = registered(roster.member.member, "living", confirmed_on=TODAY - timedelta(days=400))
    registered(roster.member_b.member, "alone")
    db.session.add(Visit(member=roster.exactly, visited_on=date(2026, 6, 20), visitors="李书记", reason="old_member",
                         occasion=VisitOccasion.JULY_FIRST, occasion_year=2026, recorded_by_id=roster.secretary.id))
    db.session.commit()
    assert db.session.get(RegistryEntry, e.id).review_overdue(TODAY)
    with roster_app_request():
        figures = {f["key"]: f for f in supervision_figures(roster.sec_a, 2026, roster.supervisor)}
        school = {f["key"]: f for f in supervision_figures(roster.school, 2026, roster.supervisor)}
    assert (figures["care.registry_overdue"]["value"], figures["care.registry_overdue"]["alert"]) == (1, True)
    assert figures["care.registry_confirmed"]["value"] == 1 and school["care.registry_confirmed"]["value"] == 2
    assert figures["care.visits"]["value"] == 1
    assert (figures["care.roster_july_first"]["done"], figures["care.roster_july_first"]["due"]) == (1, 2)
    assert (school["care.roster_july_first"]["done"], school["care.roster_july_first"]["due"]) == (1, 4)
    assert figures["care.registry_overdue"]["url"].startswith("/care/registry?")


def roster_app_request():
    from flask import current_app
    return current_app.test_request_context()
