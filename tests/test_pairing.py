"""结对帮扶 and 志愿服务 (§三(三)2): who keeps pairings and volunteer records for whom, the rules
of a pairing's life (start, contacts, end), scope (404 outside it), the member_history hook's
output for the 帮扶历史 page, and 纪委's figures."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from dangjian import plugins
from dangjian.extensions import db
from dangjian.models import AuditEvent
from dangjian.pairing import history, operations
from dangjian.pairing.models import Pairing, PairingContact, PairingState, VolunteerRecord
from dangjian.timeutil import local_today

MEASURES = "每月上门走访一次，协助申请困难补助。"
TODAY = local_today()


def pair(user, member, helper, started_on=None):
    return operations.create_pairing(user, member_staff_no=member.staff_no, helper_staff_no=helper.staff_no,
                                     started_on=started_on or TODAY - timedelta(days=10), measures=MEASURES)


# --- who keeps pairings for whom ---------------------------------------------------------------

@pytest.mark.parametrize("keeper, member, helper, outcome", [
    ("secretary", "member", "member_b", "ok"),  # the helper may be anyone
    ("secondary", "member", "secretary", "ok"),
    ("org_dept_user", "member_b", "member", "ok"),
    ("secretary", "member_b", "member", "帮扶对象须是您所在党组织的党员"),
    ("secretary_b", "member", "member_b", "帮扶对象须是您所在党组织的党员"),
    ("secretary", "secretary", "member", "不能为本人登记结对帮扶"),  # 回避
    ("secretary", "member", "member", "不能是同一人"),
    ("school_user", "member", "member_b", "帮扶对象须是您所在党组织的党员"),  # 校党委 reads only
    ("supervisor", "member", "member_b", "帮扶对象须是您所在党组织的党员"),
])
def test_who_may_pair_whom(org, keeper, member, helper, outcome):
    user = getattr(org, keeper)
    if outcome == "ok":
        p = pair(user, getattr(org, member).member, getattr(org, helper).member)
        assert p.state is PairingState.ACTIVE and p.organization_id == getattr(org, member).member.branch_id
        assert MEASURES not in db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "pairing.created"))
        return
    with pytest.raises(operations.PairingError) as exc:
        pair(user, getattr(org, member).member, getattr(org, helper).member)
    assert outcome in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Pairing.id))) == 0


@pytest.mark.parametrize("change, message", [
    ({"member_staff_no": "NOPE"}, "找不到工号/学号为 NOPE"),
    ({"started_on": TODAY + timedelta(days=1)}, "开始日期不能晚于今天"),
    ({"measures": "太短"}, "帮扶措施须为10–2000字"),
])
def test_a_pairing_needs_real_people_a_date_and_measures(org, change, message):
    kw = dict(member_staff_no=org.member.member.staff_no, helper_staff_no=org.member_b.member.staff_no,
              started_on=TODAY, measures=MEASURES)
    kw.update(change)
    with pytest.raises(operations.PairingError) as exc:
        operations.create_pairing(org.secretary, **kw)
    assert message in exc.value.message


def test_one_active_pairing_per_helper_and_member(org):
    p = pair(org.secretary, org.member.member, org.member_b.member)
    with pytest.raises(operations.PairingError) as exc:
        pair(org.secretary, org.member.member, org.member_b.member)
    assert "已在结对帮扶中" in exc.value.message
    operations.end_pairing(org.secretary, p, ended_on=TODAY, reason="困难已解除")
    assert pair(org.secretary, org.member.member, org.member_b.member).state is PairingState.ACTIVE


# --- contacts and ending -------------------------------------------------------------------------

@pytest.mark.parametrize("who, may", [("secretary", True), ("member_b", True),  # the helper
                                      ("secondary", True), ("member", False),  # the member helped
                                      ("supervisor", False), ("secretary_b", False)])
def test_who_records_a_contact(org, who, may):
    p = pair(org.secretary, org.member.member, org.member_b.member)
    if may:
        c = operations.add_contact(getattr(org, who), p, contacted_on=TODAY, way="phone", notes="电话了解近况。")
        assert c.pairing_id == p.id
        return
    with pytest.raises(operations.PairingError):
        operations.add_contact(getattr(org, who), p, contacted_on=TODAY, way="phone", notes="电话了解近况。")


def test_a_contact_falls_inside_the_pairing_and_an_ended_pairing_takes_none(org):
    p = pair(org.secretary, org.member.member, org.member_b.member)
    with pytest.raises(operations.PairingError) as exc:
        operations.add_contact(org.secretary, p, contacted_on=p.started_on - timedelta(days=1), way="visit",
                               notes="上门看望。")
    assert "不能早于结对开始日期" in exc.value.message
    with pytest.raises(operations.PairingError) as exc:
        operations.add_contact(org.secretary, p, contacted_on=TODAY, way="fax", notes="上门看望。")
    assert "请选择联系方式" in exc.value.message
    with pytest.raises(operations.PairingError) as exc:
        operations.end_pairing(org.secretary, p, ended_on=TODAY, reason="")
    assert "结束原因" in exc.value.message
    operations.end_pairing(org.secretary, p, ended_on=TODAY, reason="困难已解除")
    with pytest.raises(operations.AlreadyHandled):  # a second click or tab
        operations.end_pairing(org.secondary, p, ended_on=TODAY, reason="再结束一次")
    with pytest.raises(operations.PairingError) as exc:
        operations.add_contact(org.member_b, p, contacted_on=TODAY, way="visit", notes="上门看望。")
    assert "已结束" in exc.value.message
    assert db.session.scalar(select(func.count(PairingContact.id))) == 0


# --- pages and scope ------------------------------------------------------------------------------

@pytest.mark.parametrize("who, code", [("secretary", 200), ("secondary", 200), ("org_dept_user", 200),
                                       ("school_user", 200), ("supervisor", 200), ("member_b", 200),  # the helper
                                       ("secretary_b", 404), ("secondary_b", 404), ("member", 404),
                                       ("member2", 404), ("sysadmin", 404)])
def test_a_pairings_page_is_for_its_scope_and_its_helper(org, auth, client, who, code):
    p = pair(org.secretary, org.member.member, org.member_b.member)
    auth.login(getattr(org, who))
    resp = client.get(f"/pairing/{p.id}")
    assert resp.status_code == code
    if code == 200:
        assert MEASURES in resp.get_data(as_text=True)
    listing = client.get("/pairing").get_data(as_text=True)
    assert (f'href="/pairing/{p.id}"' in listing) is (code == 200)


def test_contacts_and_ending_over_the_web(org, auth, client):
    p = pair(org.secretary, org.member.member, org.member_b.member)
    auth.login(org.member_b)  # the helper records a contact, but cannot end the pairing
    resp = client.post(f"/pairing/{p.id}/contacts", data={"contacted_on": TODAY.isoformat(), "way": "visit",
                                                          "notes": "上门看望，了解康复情况。"}, follow_redirects=True)
    assert "已登记一次联系" in resp.get_data(as_text=True) and "上门看望，了解康复情况。" in resp.get_data(as_text=True)
    assert client.post(f"/pairing/{p.id}/end", data={"reason": "困难已解除"}).status_code == 404
    auth.login(org.supervisor)
    assert client.post(f"/pairing/{p.id}/contacts", data={"contacted_on": TODAY.isoformat(), "way": "visit",
                                                          "notes": "纪委不能登记。"}).status_code == 404
    auth.login(org.secretary)
    bad = client.post(f"/pairing/{p.id}/contacts", data={"contacted_on": TODAY.isoformat(), "way": "", "notes": "x"})
    assert "请选择联系方式" in bad.get_data(as_text=True)
    resp = client.post(f"/pairing/{p.id}/end", data={"ended_on": TODAY.isoformat(), "reason": "困难已解除"},
                       follow_redirects=True)
    assert "结对帮扶已结束" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Pairing, p.id).state is PairingState.ENDED


def test_new_pairing_page_is_for_keepers(org, auth, client):
    for who, code in (("secretary", 200), ("school_user", 404), ("supervisor", 404), ("member_b", 404)):
        auth.login(getattr(org, who))
        assert client.get("/pairing/new").status_code == code
    auth.login(org.secretary)
    resp = client.post("/pairing/new", data={"member_staff_no": org.member.member.staff_no,
                                             "helper_staff_no": org.member_b.member.staff_no,
                                             "started_on": TODAY.isoformat(), "measures": MEASURES},
                       follow_redirects=True)
    assert "已登记结对帮扶：周珺玥 帮扶 王喆" in resp.get_data(as_text=True)


# --- volunteers -----------------------------------------------------------------------------------

@pytest.mark.parametrize("hours, tenths, message", [("2", 20, None), ("2.5", 25, None), ("0", None, "大于0"),
                                                    ("25", None, "不超过24"), ("1.25", None, "一位小数"),
                                                    ("两小时", None, "请填写数字"), ("NaN", None, "大于0")])
def test_volunteer_hours_are_exact_tenths(org, hours, tenths, message):
    kw = dict(staff_no=org.member.member.staff_no, activity="社区义诊", served_on=TODAY, hours=hours, organizer="校团委")
    if message is None:
        assert operations.add_volunteer(org.secretary, **kw).hours_tenths == tenths
        return
    with pytest.raises(operations.PairingError) as exc:
        operations.add_volunteer(org.secretary, **kw)
    assert message in exc.value.message


@pytest.mark.parametrize("keeper, whom, message", [("secretary", "member_b", "只能登记本党组织党员"),
                                                   ("secretary", "secretary", "不能登记本人的志愿服务"),
                                                   ("supervisor", "member", "只能登记本党组织党员")])
def test_who_records_volunteer_service_for_whom(org, keeper, whom, message):
    with pytest.raises(operations.PairingError) as exc:
        operations.add_volunteer(getattr(org, keeper), staff_no=getattr(org, whom).member.staff_no, activity="社区义诊",
                                 served_on=TODAY, hours="2", organizer="")
    assert message in exc.value.message


def test_the_volunteer_list_is_scoped_and_totals_hours(org, auth, client):
    operations.add_volunteer(org.secretary, staff_no=org.member.member.staff_no, activity="社区义诊", served_on=TODAY,
                             hours="2.5", organizer="校团委")
    operations.add_volunteer(org.secretary_b, staff_no=org.member_b.member.staff_no, activity="敬老院服务",
                             served_on=TODAY, hours="3", organizer="")
    auth.login(org.secretary)
    html = client.get("/pairing/volunteers").get_data(as_text=True)
    assert "社区义诊" in html and "敬老院服务" not in html and "合计 <strong>2.5</strong> 小时" in html
    auth.login(org.supervisor)
    html = client.get("/pairing/volunteers").get_data(as_text=True)
    assert "合计 <strong>5.5</strong> 小时" in html and "登记志愿服务" not in html
    other = db.session.scalar(select(VolunteerRecord).where(VolunteerRecord.activity == "敬老院服务"))
    auth.login(org.secretary)
    assert client.post(f"/pairing/volunteers/{other.id}/delete").status_code == 404
    auth.login(org.secretary_b)
    client.post(f"/pairing/volunteers/{other.id}/delete")
    assert db.session.scalar(select(func.count(VolunteerRecord.id))) == 1
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "volunteer.deleted")) == 1


# --- the 帮扶历史 hook and the figures ----------------------------------------------------------------

def test_member_history_lists_pairings_and_volunteer_service_for_the_members_scope(org, app):
    p = pair(org.secretary, org.member.member, org.member_b.member, started_on=TODAY - timedelta(days=40))
    operations.add_contact(org.secretary, p, contacted_on=TODAY - timedelta(days=3), way="visit",
                           notes="爱人住院，家中困难。")
    operations.add_volunteer(org.secretary, staff_no=org.member.member.staff_no, activity="社区义诊",
                             served_on=TODAY - timedelta(days=2), hours="2.5", organizer="校团委")
    with app.test_request_context():
        entries = plugins.member_history(org.member.member, org.secondary)
        assert entries == [
            {"on": TODAY - timedelta(days=2), "kind": "志愿服务", "summary": "社区义诊，2.5小时（校团委）", "url": None},
            {"on": TODAY - timedelta(days=40), "kind": "结对帮扶",
             "summary": f"帮扶人：周珺玥；{(TODAY - timedelta(days=40)).isoformat()}至今；联系1次",
             "url": f"/pairing/{p.id}"},
        ]
        assert "住院" not in repr(entries) and MEASURES not in repr(entries)
        own = history.member_history(org.member.member, org.member)  # the member sees their own, no link
        assert [e["kind"] for e in own] == ["结对帮扶", "志愿服务"] and own[0]["url"] is None
        for outsider in (org.secretary_b, org.secondary_b, org.member2, org.sysadmin):
            assert history.member_history(org.member.member, outsider) == []
        operations.end_pairing(org.secretary, p, ended_on=TODAY, reason="困难已解除")
        [ended] = [e for e in history.member_history(org.member.member, org.supervisor) if e["kind"] == "结对帮扶"]
        assert ended["summary"].endswith(f"至{TODAY.isoformat()}；联系1次（已结束）")


def test_supervision_figures_count_active_pairings_and_volunteer_hours(org, app):
    pair(org.secretary, org.member.member, org.member_b.member)
    ended = pair(org.secretary_b, org.member_b.member, org.member.member)
    operations.end_pairing(org.secretary_b, ended, ended_on=TODAY, reason="困难已解除")
    operations.add_volunteer(org.secretary, staff_no=org.member.member.staff_no, activity="社区义诊", served_on=TODAY,
                             hours="2.5", organizer="")
    operations.add_volunteer(org.secretary, staff_no=org.member2.member.staff_no, activity="社区义诊", served_on=TODAY,
                             hours="1", organizer="")
    with app.test_request_context():
        school = {f["key"]: f["value"] for f in plugins.supervision_figures(org.school, TODAY.year, org.supervisor)}
        assert (school["pairings_active"], school["volunteer_hours"], school["volunteer_people"]) == (2, "3.5", 2)
        unit = {f["key"]: f["value"] for f in history.supervision_figures(org.sec_b, TODAY.year, org.supervisor)}
        assert (unit["pairings_active"], unit["volunteer_hours"]) == (1, "0")
        last_year = {f["key"]: f["value"] for f in history.supervision_figures(org.school, TODAY.year - 1, org.supervisor)}
        assert last_year["pairings_active"] == 0
        assert history.supervision_figures(org.sec_b, TODAY.year, org.secondary) == []


def test_the_way_in_a_helper_by_the_navigation_a_secretary_by_the_start_page(org, auth, client):
    pair(org.secretary, org.member.member, org.member_b.member)
    auth.login(org.member_b)  # a plain member who helps: the main navigation shows 结对帮扶
    assert 'href="/pairing"' in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(org.member2)
    assert 'href="/pairing"' not in client.get("/inbox/todo").get_data(as_text=True)
    auth.login(org.secretary)
    start = client.get("/new").get_data(as_text=True)
    assert "登记结对帮扶" in start and "结对帮扶与志愿服务" in start
