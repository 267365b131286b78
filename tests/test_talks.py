"""谈心谈话 (§三(二)1): who may record a talk with whom, who reads its content, the compliance view
(due, done, overdue) and its export, voiding, and 组织部's 联系点 — each rule as a table."""
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, MemberStatus, RoleAssignment
from dangjian.talks import compliance, operations
from dangjian.talks.models import Talk, TalkLink, TalkState
from dangjian.talks.periods import parse_semester, semester, semester_of, year_period
from dangjian.timeutil import local_today

TODAY = date(2026, 5, 20)  # in the 2026 spring semester
CONTENT = "交流近期工作和思想情况，了解生活中的困难。"


@pytest.fixture(autouse=True)
def roles_held_since_2020(org):
    """The factory's roles start today; these tests look at 2026's semesters on fixed days."""
    for ra in db.session.scalars(select(RoleAssignment)):
        ra.starts_on = date(2020, 1, 1)
    db.session.commit()


def talk(user, org, members, *, on=TODAY - timedelta(days=5), kind="routine", reason="", today=TODAY):
    return operations.record_talk(user, org.id, held_on=on, kind=kind, place="支部活动室", reason=reason,
                                  content=CONTENT, member_ids=[m.id for m in members], today=today)


# --- periods ---------------------------------------------------------------------------------

@pytest.mark.parametrize("day, key, start, end", [
    (date(2026, 2, 1), "2026-spring", date(2026, 2, 1), date(2026, 7, 31)),
    (date(2026, 7, 31), "2026-spring", date(2026, 2, 1), date(2026, 7, 31)),
    (date(2026, 8, 1), "2026-autumn", date(2026, 8, 1), date(2027, 1, 31)),
    (date(2027, 1, 31), "2026-autumn", date(2026, 8, 1), date(2027, 1, 31)),
])
def test_semesters_split_february_to_july_and_august_to_january(day, key, start, end):
    p = semester_of(day)
    assert (p.key, p.start, p.end) == (key, start, end)
    assert parse_semester(key, day) == p


def test_an_unreadable_semester_means_the_current_one():
    assert parse_semester("2026-winter", TODAY) == semester(2026, "spring")
    assert parse_semester("2999-spring", TODAY) == semester(2026, "spring")


# --- who may record a talk with whom ----------------------------------------------------------

@pytest.mark.parametrize("holder, as_org, with_, outcome", [
    ("secretary", "branch_a1", "member", "ok"),
    ("committee", "branch_a1", "secretary", "ok"),  # one 支委 with another
    ("secretary", "branch_a1", "member_b", "所选党员须为本支部"),  # another branch
    ("secretary", "branch_a1", "secretary", "不能记录与本人"),
    ("secretary", "branch_a2", "member", "请选择以何身份"),  # not their branch
    ("secondary", "sec_a", "member", "ok"),  # a leader, within the unit
    ("secondary", "sec_a", "member_b", "须为「会计学院党委」"),
    ("school_user", "school", "member_b", "ok"),  # 校党委: the whole school
    ("org_dept_user", "org_dept", "member", "请选择以何身份"),  # 组织部 holds no talks
    ("supervisor", "school", "member", "请选择以何身份"),  # 纪委 reads only
    ("member", "branch_a1", "member2", "请选择以何身份"),  # a plain member
])
def test_who_may_record_a_talk_with_whom(org, holder, as_org, with_, outcome):
    before = db.session.scalar(select(func.count(Talk.id)))
    user, target = getattr(org, holder), getattr(org, with_).member
    if outcome == "ok":
        t = talk(user, getattr(org, as_org), [target])
        assert t.organization_id == getattr(org, as_org).id and t.held_by_id == user.id
        assert [p.member_id for p in t.participants] == [target.id]
        assert db.session.scalar(select(AuditEvent.detail).where(AuditEvent.action == "talk.recorded")).find(CONTENT) == -1
        return
    with pytest.raises(operations.TalkError) as exc:
        talk(user, getattr(org, as_org), [target])
    assert outcome in exc.value.message
    db.session.rollback()
    assert db.session.scalar(select(func.count(Talk.id))) == before


@pytest.mark.parametrize("change, message", [
    ({"on": TODAY + timedelta(days=1)}, "谈话日期不能晚于今天"),
    ({"on": TODAY - timedelta(days=500)}, "只能补录一年以内"),
    ({"kind": "nonsense"}, "请选择谈话类别"),
    ({"kind": "hardship"}, "「四必谈」须填写事由"),
    ({"members": []}, "请选择谈话对象"),
])
def test_a_talk_needs_a_date_a_kind_a_reason_for_the_must_talks_and_someone(org, change, message):
    members = change.pop("members", [org.member.member])
    with pytest.raises(operations.TalkError) as exc:
        talk(org.secretary, org.branch_a1, members, **change)
    assert message in exc.value.message


def test_a_suspended_member_is_not_a_participant_and_the_content_has_a_length(org):
    org.member2.member.status = MemberStatus.SUSPENDED
    db.session.commit()
    with pytest.raises(operations.TalkError):
        talk(org.secretary, org.branch_a1, [org.member2.member])
    with pytest.raises(operations.TalkError) as exc:
        operations.record_talk(org.secretary, org.branch_a1.id, held_on=TODAY, kind="routine", place="", reason="",
                               content="太短", member_ids=[org.member.member.id], today=TODAY)
    assert "谈话内容须为10–5000字" in exc.value.message


def test_the_same_talk_is_not_recorded_twice(org):
    talk(org.secretary, org.branch_a1, [org.member.member, org.member2.member])
    with pytest.raises(operations.TalkError) as exc:
        talk(org.secretary, org.branch_a1, [org.member2.member])
    assert "请勿重复记录" in exc.value.message


def test_a_group_talk_counts_for_everyone_in_it(org):
    t = talk(org.secretary, org.branch_a1, [org.member.member, org.member2.member])
    assert t.is_group and t.form_label == "集体谈话"


# --- privacy: who reads the content ------------------------------------------------------------

PRIVACY = [  # (reader, sees the record, sees the content) for a talk by the branch_a1 secretary
    ("secretary", True, True),  # the holder
    ("committee", True, False),  # the other 支委 of the branch: date, participants, kind only
    ("secondary", True, True),  # the upper level of a branch
    ("secondary_b", False, False),  # another unit
    ("org_dept_user", True, False),  # 组织部 is not a branch's upper level
    ("school_user", True, False),
    ("supervisor", True, True),  # 纪委
    ("secretary_b", False, False),
    ("member", False, False),  # the participant has no talk pages
    ("sysadmin", False, False),
]


@pytest.mark.parametrize("reader, sees, reads", PRIVACY)
def test_only_the_holder_the_upper_level_and_jiwei_read_a_branch_talk(org, auth, client, reader, sees, reads):
    t = operations.record_talk(org.secretary, org.branch_a1.id, held_on=local_today(), kind="hardship",
                               place="党员家中", reason="爱人患病住院", content="了解家庭困难的具体情况，告知帮扶政策。",
                               member_ids=[org.member.member.id])
    auth.login(getattr(org, reader))
    page = client.get(f"/talks/{t.id}")
    assert page.status_code == (200 if sees else 404)
    listing = client.get("/talks?show=all")
    html = page.get_data(as_text=True) + listing.get_data(as_text=True)
    if sees:
        assert "王喆" in html and "生活困难" in html
    assert ("告知帮扶政策" in html) is reads
    assert ("爱人患病住院" in html) is reads
    assert ("党员家中" in html) is reads
    assert "告知帮扶政策" not in listing.get_data(as_text=True)  # never in a list


@pytest.mark.parametrize("reader, sees, reads", [
    ("school_user", True, True), ("org_dept_user", True, True), ("supervisor", True, True),
    ("school_user2", True, False),  # another school leader: the record, not the content
    ("secondary", False, False), ("secretary", False, False),  # the one talked with has no talk pages of it
])
def test_a_leaders_talk_is_read_by_its_holder_zuzhibu_and_jiwei(org, auth, client, reader, sees, reads):
    t = talk(org.school_user, org.school, [org.secretary.member], on=local_today(), today=local_today())
    auth.login(getattr(org, reader))
    resp = client.get(f"/talks/{t.id}")
    assert resp.status_code == (200 if sees else 404)
    html = resp.get_data(as_text=True)
    assert ('id="talk-facts"' in html) is sees
    assert (CONTENT in html) is reads


def test_a_direct_branchs_upper_level_is_zuzhibu(org, auth, client):
    t = talk(org.direct_secretary, org.direct, [org.direct_member.member], on=local_today(), today=local_today())
    auth.login(org.org_dept_user)
    assert CONTENT in client.get(f"/talks/{t.id}").get_data(as_text=True)


# --- voiding ------------------------------------------------------------------------------------

def test_only_the_holder_voids_a_talk_once_with_a_reason(org, auth, client):
    t = talk(org.secretary, org.branch_a1, [org.member.member], on=local_today(), today=local_today())
    auth.login(org.committee)
    assert client.post(f"/talks/{t.id}/void", data={"reason": "记错了"}).status_code == 404
    auth.login(org.secretary)
    client.post(f"/talks/{t.id}/void", data={"reason": ""})
    db.session.expire_all()
    assert db.session.get(Talk, t.id).state is TalkState.RECORDED
    resp = client.post(f"/talks/{t.id}/void", data={"reason": "对象选错，重新记录"}, follow_redirects=True)
    assert "该谈话记录已作废" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Talk, t.id).state is TalkState.VOIDED
    with pytest.raises(operations.AlreadyHandled):  # a second click, or a second tab
        operations.void_talk(org.secretary, t, "再作废一次")
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "talk.voided")) == 1


# --- compliance ---------------------------------------------------------------------------------

def _branch_row(report, branch):
    return next(r for r in report.branches if r.branch.id == branch.id)


def test_a_secretary_owes_every_member_of_the_branch_a_talk_each_semester(org):
    sem = semester(2026, "spring")
    talk(org.secretary, org.branch_a1, [org.member.member])
    # voided talks and talks of another semester count for nothing
    old = talk(org.secretary, org.branch_a1, [org.member2.member], on=date(2026, 1, 20))
    gone = talk(org.committee, org.branch_a1, [org.secondary.member], on=TODAY - timedelta(days=2))
    operations.void_talk(org.committee, gone, "记录有误")
    row = _branch_row(compliance.build(org.sec_a, sem, TODAY), org.branch_a1)
    status = {d.member.name: (d.status, d.done_on) for d in row.items}
    # the secretary and the 支委 themselves are their leader's duty, not the branch's
    assert status == {"王喆": ("done", TODAY - timedelta(days=5)), "张堃": ("due", None), "陈组织员": ("due", None)}
    assert sorted(row.secretaries) == sorted(["李书记", "赵支委"])
    assert (row.counts.total, row.counts.done, row.counts.due, row.counts.overdue) == (3, 1, 2, 0)
    assert old.held_on < sem.start
    # once the semester is over, what is not done is overdue
    after = _branch_row(compliance.build(org.sec_a, sem, date(2026, 8, 3)), org.branch_a1)
    assert (after.counts.done, after.counts.due, after.counts.overdue) == (1, 0, 2)


def test_a_leader_owes_the_people_of_their_links_a_talk_each_year(org):
    year = year_period(2026)
    db.session.add_all([TalkLink(leader_id=org.school_user.id, branch_id=org.branch_a1.id, starts_on=date(2026, 1, 1)),
                        TalkLink(leader_id=org.secondary_b.id, member_id=org.member_b.member.id,
                                 starts_on=date(2026, 1, 1)),
                        TalkLink(leader_id=org.school_user.id, branch_id=org.branch_b1.id, starts_on=date(2025, 1, 1),
                                 ends_on=date(2025, 12, 31))])  # ended last year: nothing due
    db.session.commit()
    talk(org.school_user, org.school, [org.secretary.member])
    report = compliance.build(org.school, semester(2026, "spring"), TODAY)
    by_leader = {r.leader.username: {d.member.name: d.status for d in r.items} for r in report.leaders}
    assert by_leader == {"school": {"李书记": "done", "赵支委": "due"}, "secondary_b": {"周珺玥": "due"}}
    late = compliance.leader_duties(org.school, year, date(2027, 1, 5))
    assert sum(r.counts.overdue for r in late) == 2
    # a unit sees the links into its subtree only
    assert [r.leader.username for r in compliance.build(org.sec_b, semester(2026, "spring"), TODAY).leaders] \
        == ["secondary_b"]


def test_compliance_page_scope(org, auth, client):
    cases = [("secretary", org.branch_a1, 200), ("secretary", org.sec_a, 404), ("secretary", org.branch_a2, 404),
             ("secondary", org.sec_a, 200), ("secondary", org.branch_a2, 200), ("secondary", org.sec_b, 404),
             ("secondary", org.school, 404), ("org_dept_user", org.school, 200), ("supervisor", org.sec_b, 200),
             ("member", org.branch_a1, 404), ("sysadmin", org.school, 404)]
    for who, unit, code in cases:
        auth.login(getattr(org, who))
        assert client.get(f"/talks/compliance?unit_id={unit.id}").status_code == code, (who, unit.name)
        assert client.get(f"/talks/compliance.xlsx?unit_id={unit.id}").status_code == code, (who, unit.name)


def test_the_compliance_page_shows_who_is_due_and_done_and_a_secretary_has_no_leaders_part(org, auth, client):
    talk(org.secretary, org.branch_a1, [org.member.member], on=local_today(), today=local_today())
    auth.login(org.secretary)
    html = client.get("/talks/compliance").get_data(as_text=True)
    assert "会计学院教工第一党支部" in html and "应谈 3 人，已谈 <strong>1</strong>" in html
    assert "记录谈话" in html and "联系领导谈心" not in html
    auth.login(org.secondary)
    html = client.get(f"/talks/compliance?unit_id={org.sec_a.id}").get_data(as_text=True)
    assert "会计学院本科生党支部" in html and "联系领导谈心" in html and CONTENT not in html


def test_the_export_lists_dates_and_names_never_the_content(org, auth, client):
    operations.record_talk(org.secretary, org.branch_a1.id, held_on=local_today(), kind="hardship", place="家中",
                           reason="爱人患病", content="谈话的私密内容，不得导出。", member_ids=[org.member.member.id])
    auth.login(org.secondary)
    resp = client.get(f"/talks/compliance.xlsx?unit_id={org.sec_a.id}")
    assert resp.status_code == 200
    wb = load_workbook(BytesIO(resp.data))
    rows = [tuple(row) for row in wb["支部书记谈心"].iter_rows(values_only=True)]
    everything = repr([list(ws.iter_rows(values_only=True)) for ws in wb.worksheets])
    assert rows[1] == ("二级党组织", "党支部", "支部书记/支委", "党员", "工号/学号", "状态", "谈话日期")
    done = [r for r in rows[2:] if r[3] == "王喆"]
    assert done == [("会计学院党委", "会计学院教工第一党支部", "李书记、赵支委", "王喆", org.member.member.staff_no,
                     "已谈", local_today().isoformat())]
    assert {r[3] for r in rows[2:] if r[5] == "待谈"} == {"张堃", "陈组织员"}
    assert "私密内容" not in everything and "爱人患病" not in everything
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "talk.compliance_exported")) == 1


def test_a_talk_recorded_over_the_web_moves_the_member_to_done(org, auth, client):
    auth.login(org.secretary)
    form = client.get(f"/talks/new?member={org.member2.member.id}").get_data(as_text=True)
    assert f'value="{org.member2.member.id}" id="member-{org.member2.member.id}" checked' in form
    assert "李书记" not in form.split("谈话对象")[1].split("谈话情况")[0]  # never oneself
    resp = client.post("/talks/new", data={"org_id": org.branch_a1.id, "held_on": local_today().isoformat(),
                                           "kind": "routine", "place": "", "reason": "", "content": CONTENT,
                                           "members": [org.member2.member.id]}, follow_redirects=True)
    assert "已记录" in resp.get_data(as_text=True)
    html = client.get("/talks/compliance").get_data(as_text=True)
    assert "已谈 <strong>1</strong>" in html
    bad = client.post("/talks/new", data={"org_id": org.branch_a1.id, "held_on": local_today().isoformat(),
                                          "kind": "routine", "content": CONTENT, "members": [org.member_b.member.id]})
    assert "所选党员须为本支部党籍正常的党员" in bad.get_data(as_text=True)


def test_a_leader_names_other_people_by_staff_number(org, auth, client):
    auth.login(org.school_user)
    resp = client.post("/talks/new", data={"org_id": org.school.id, "held_on": local_today().isoformat(),
                                           "kind": "job_change", "reason": "岗位调整", "content": CONTENT,
                                           "staff_nos": f"{org.member_b.member.staff_no}，NOPE"})
    assert "找不到工号/学号为 NOPE" in resp.get_data(as_text=True)
    resp = client.post("/talks/new", data={"org_id": org.school.id, "held_on": local_today().isoformat(),
                                           "kind": "job_change", "reason": "岗位调整", "content": CONTENT,
                                           "staff_nos": org.member_b.member.staff_no}, follow_redirects=True)
    assert "已记录" in resp.get_data(as_text=True)


# --- 联系点 (组织部) ----------------------------------------------------------------------------

@pytest.mark.parametrize("leader, target, message", [
    ("school_user", ("branch", "branch_b1"), None),
    ("secondary", ("branch", "branch_a2"), None),
    ("secondary", ("member", "member"), None),
    ("secondary", ("branch", "branch_b1"), "二级党组织领导只能联系本单位"),
    ("secretary", ("branch", "branch_a1"), "请选择一位校党委或二级党组织领导"),
    ("school_user", ("member", "school_user"), "不能为领导设置联系本人"),
    ("school_user", (None, None), "二选一"),
])
def test_links_join_a_leader_to_a_branch_or_a_member(org, leader, target, message):
    kind, name = target
    kw = {"branch_id": getattr(org, name).id if kind == "branch" else None,
          "staff_no": getattr(org, name).member.staff_no if kind == "member" else ""}
    if message is None:
        link = operations.add_link(org.org_dept_user, leader_id=getattr(org, leader).id, starts_on=None, note="", **kw)
        assert link.leader_id == getattr(org, leader).id
        with pytest.raises(operations.TalkError) as exc:
            operations.add_link(org.org_dept_user, leader_id=getattr(org, leader).id, starts_on=None, note="", **kw)
        assert "该联系点已存在" in exc.value.message
        return
    with pytest.raises(operations.TalkError) as exc:
        operations.add_link(org.org_dept_user, leader_id=getattr(org, leader).id, starts_on=None, note="", **kw)
    assert message in exc.value.message


def test_only_zuzhibu_keeps_links_and_ending_one_is_once(org, auth, client):
    for who in ("secondary", "supervisor", "school_user", "secretary"):
        auth.login(getattr(org, who))
        assert client.get("/talks/links").status_code == 404
        assert client.post("/talks/links", data={"leader_id": org.school_user.id,
                                                 "branch_id": org.branch_a1.id}).status_code == 404
    auth.login(org.org_dept_user)
    resp = client.post("/talks/links", data={"leader_id": org.school_user.id, "branch_id": org.branch_a1.id,
                                             "staff_no": "", "note": "校领导联系点"}, follow_redirects=True)
    assert "已为张校领导设置联系点" in resp.get_data(as_text=True)
    link = db.session.scalar(select(TalkLink))
    client.post(f"/talks/links/{link.id}/end", data={"ends_on": local_today().isoformat()})
    db.session.expire_all()
    assert db.session.get(TalkLink, link.id).ends_on == local_today()
    with pytest.raises(operations.AlreadyHandled):
        operations.end_link(org.org_dept_user, link, local_today())


# --- pages and scope -----------------------------------------------------------------------------

def test_record_pages_answer_404_outside_scope(org, auth, client):
    t = talk(org.secretary_b, org.branch_b1, [org.member_b.member], on=local_today(), today=local_today())
    for who in ("secretary", "secondary", "member", "sysadmin"):
        auth.login(getattr(org, who))
        assert client.get(f"/talks/{t.id}").status_code == 404
        assert client.post(f"/talks/{t.id}/void", data={"reason": "试图作废"}).status_code == 404
    auth.login(org.member)
    assert client.get("/talks").status_code == 404 and client.get("/talks/new").status_code == 404
    auth.login(org.secretary)
    assert "周珺玥" not in client.get("/talks?show=all").get_data(as_text=True)


def test_the_supervision_figures_count_overdue_talks_per_unit(org, app):
    from dangjian.talks.figures import overdue_count, supervision_figures
    talk(org.secretary, org.branch_a1, [org.member.member])
    # 2026 spring has ended by 2026-08-03: branch_a1 owes 张堃 and 陈组织员, branch_a2 nobody (its only
    # member is its secretary), branch_b1 周珺玥 and 刘组织部 and 张校领导
    assert overdue_count(org.sec_a, 2026, date(2026, 8, 3)) == 2
    assert overdue_count(org.school, 2026, date(2026, 8, 3)) == 2 + 3 + 1  # + the direct branch's member
    with app.test_request_context():
        figures = {f["key"]: f for f in supervision_figures(org.sec_a, 2026, org.supervisor)}
        assert figures["talks_held"]["value"] == 1 and figures["talks_overdue"]["url"].startswith("/talks/compliance")
        assert supervision_figures(org.sec_b, 2026, org.secondary) == []  # outside the viewer's scope
