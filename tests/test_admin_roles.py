"""Roles with terms, as the 系统管理员 assigns and revokes them: the Chinese refusals (wrong kind of
organization, end before start, overlapping terms, dissolved units, 三员分立), revocation that takes
effect at once, role history (who held a role at an organization on a day; every role a person
held), and the agreement of scope, the engine and 待办 on where every role is held."""
import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from dangjian.accounts import operations
from dangjian.accounts.operations import AdminError
from dangjian.extensions import db
from dangjian.inbox import todo
from dangjian.models import AuditEvent, Request, RequestState, Role, RoleAssignment, User
from dangjian.models.people import check_role_organization
from dangjian.request_types.condolence.model import FundingSource
from dangjian.scope import visible_requests
from dangjian.timeutil import local_today
from dangjian.workflow import Action
from dangjian.workflow.engine import refusal
from tests.factories import approve, make_user, new_waiver
from tests.factories_condolence import new_condolence, set_budget, setup_settings


@pytest.fixture
def admin(org, auth):
    auth.login(org.sysadmin)
    return auth


def _events(action):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _assignments() -> int:
    return db.session.scalar(select(func.count(RoleAssignment.id)))


def _assign_page(client, user, **data):
    data.setdefault("starts_on", local_today().isoformat())
    return client.post(f"/admin/accounts/{user.id}/roles", data=data, follow_redirects=True).get_data(as_text=True)


# --- assigning ------------------------------------------------------------------------------------

def test_assign_a_role_from_the_account_page(app, org, admin, client):
    newcomer = make_user("newcomer")
    db.session.commit()
    html = _assign_page(client, newcomer, role="branch_secretary", organization_id=org.branch_b1.id,
                        note="经经济学院党委会研究任命")
    assert f"已任命 newcomer（newcomer）为「{org.branch_b1.name} · 支部书记/支委」" in html
    db.session.expire_all()
    user = db.session.get(User, newcomer.id)
    (ra,) = user.roles
    assert (ra.role, ra.organization_id, ra.starts_on, ra.ends_on) == (Role.BRANCH_SECRETARY, org.branch_b1.id,
                                                                       local_today(), None)
    assert ra.granted_by_id == org.sysadmin.id and ra.note == "经经济学院党委会研究任命"
    (event,) = _events("admin.role_assigned")
    detail = json.loads(event.detail)
    assert event.object_type == "role_assignments" and event.object_id == ra.id and event.user_id == org.sysadmin.id
    assert detail["username"] == "newcomer" and detail["role"] == "branch_secretary"
    assert detail["organization_id"] == org.branch_b1.id and detail["starts_on"] == local_today().isoformat()


@pytest.mark.parametrize("role,where", [
    ("branch_secretary", "sec_a"), ("branch_secretary", "school"), ("secondary", "branch_a1"),
    ("secondary", "org_dept"), ("org_dept", "school"), ("org_dept", "sec_a"), ("school", "org_dept"),
    ("supervisor", "sec_b"), ("sysadmin", "org_dept"),
])
def test_a_role_on_the_wrong_kind_of_organization_is_refused(app, org, admin, client, role, where):
    target = getattr(org, where)
    newcomer = make_user("newcomer")
    db.session.commit()
    before = _assignments()
    html = _assign_page(client, newcomer, role=role, organization_id=target.id)
    reason = check_role_organization(Role(role), target)
    assert reason and reason in html.replace("&#34;", '"')
    assert _assignments() == before and _events("admin.role_assigned") == []


def test_the_examples_of_the_issue_read_as_such(app, org):
    assert check_role_organization(Role.BRANCH_SECRETARY, org.sec_a) == \
        "「支部书记/支委」只能设在党支部，不能设在二级单位党组织「会计学院党委」"
    assert check_role_organization(Role.ORG_DEPT, org.school) == \
        "「组织部」只能设在党委组织部，不能设在校党委「中共测试大学委员会」"


def _refused(actor, user, **kw) -> str:
    before = _assignments()
    with pytest.raises(AdminError) as exc:
        operations.assign_role(actor, user, **kw)
    db.session.rollback()
    assert _assignments() == before
    return exc.value.message


def test_end_before_start_is_refused(app, org):
    msg = _refused(org.sysadmin, org.member, role="branch_secretary", organization_id=org.branch_a1.id,
                   starts_on=date(2026, 3, 1), ends_on=date(2026, 2, 28))
    assert msg == "结束日期不能早于开始日期"


@pytest.mark.parametrize("starts,ends,refused", [
    (date(2026, 6, 1), None, True),                     # open term inside the existing one
    (date(2025, 1, 1), date(2026, 1, 1), True),         # ends on the first day of the existing term
    (date(2025, 1, 1), date(2025, 12, 31), False),      # ends the day before: no overlap
    (date(2027, 1, 1), None, False),                    # starts the day after the existing one ends
])
def test_the_same_role_at_the_same_organization_may_not_overlap(app, org, starts, ends, refused):
    operations.assign_role(org.sysadmin, org.member, role=Role.BRANCH_SECRETARY, organization_id=org.branch_a1.id,
                           starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
    kw = dict(role="branch_secretary", organization_id=org.branch_a1.id, starts_on=starts, ends_on=ends)
    if refused:
        assert _refused(org.sysadmin, org.member, **kw) == \
            f"该账号已在「{org.branch_a1.name}」担任「支部书记/支委」（2026-01-01 至 2026-12-31），任期不能重叠"
    else:
        operations.assign_role(org.sysadmin, org.member, **kw)


def test_a_revoked_term_does_not_block_a_new_one(app, org):
    (ra,) = org.secretary.role_assignments
    operations.revoke_role(org.sysadmin, ra)
    operations.assign_role(org.sysadmin, org.secretary, role="branch_secretary", organization_id=org.branch_a1.id)
    db.session.expire_all()
    assert len(db.session.get(User, org.secretary.id).roles) == 1


def test_a_dissolved_unit_is_not_offered_and_is_refused(app, org, admin, client):
    org.branch_a2.dissolved_on = local_today() - timedelta(days=1)
    db.session.commit()
    page = client.get(f"/admin/accounts/{org.member.id}").get_data(as_text=True)
    assert f'value="{org.branch_b1.id}"' in page and org.branch_a2.name not in page
    msg = _refused(org.sysadmin, org.member, role="branch_secretary", organization_id=org.branch_a2.id)
    assert msg.startswith(f"「{org.branch_a2.name}」已于") and msg.endswith("撤销，不能在撤销后任职")
    # Its history stays readable.
    history = client.get("/admin/roles/history").get_data(as_text=True)
    assert f"{org.branch_a2.name}（已撤销）" in history


def test_sysadmin_is_held_alone_on_an_account_of_its_own(app, org):
    """三员分立: no business role beside 系统管理员, and no 系统管理员 on a member's account."""
    msg = _refused(org.sysadmin, org.secretary, role="sysadmin", organization_id=org.school.id)
    assert msg.startswith("按三员分立要求，系统管理员使用不关联党员信息的专用账号")
    plain = make_user("plain")
    db.session.commit()
    operations.assign_role(org.sysadmin, plain, role="supervisor", organization_id=org.school.id)
    msg = _refused(org.sysadmin, plain, role="sysadmin", organization_id=org.school.id)
    assert msg.startswith("按三员分立要求，系统管理员不能兼任业务角色：该账号担任「")
    msg = _refused(org.sysadmin, org.sysadmin, role="school", organization_id=org.school.id)
    assert msg == "按三员分立要求，系统管理员账号不能兼任业务角色。请为该人员另建账号"


def test_assign_from_the_organization_page_picks_the_account(app, org, admin, client):
    newcomer = make_user("zhao_liu")
    newcomer.display_name = "赵六"
    db.session.commit()
    page = client.get(f"/admin/orgs/{org.sec_b.id}").get_data(as_text=True)
    roles_offered = re.findall(r'<option[^>]*value="(\w+)"', page.split('id="role"')[1].split("</select>")[0])
    assert roles_offered == ["secondary"]  # only the roles that sit on a secondary unit
    found = client.get("/admin/accounts/search", query_string={"account_q": "赵六"}).get_data(as_text=True)
    assert f'name="user_id" id="user-{newcomer.id}" value="{newcomer.id}"' in found
    html = client.post(f"/admin/orgs/{org.sec_b.id}/roles", data={"role": "secondary", "starts_on": "2026-01-01"},
                       follow_redirects=True).get_data(as_text=True)
    assert "请查找并选择账号" in html
    html = client.post(f"/admin/orgs/{org.sec_b.id}/roles",
                       data={"role": "secondary", "user_id": newcomer.id, "starts_on": "2026-01-01"},
                       follow_redirects=True).get_data(as_text=True)
    assert f"已任命 赵六（zhao_liu）为「{org.sec_b.name} · 二级党组织书记/组织员」" in html
    assert "赵六" in client.get(f"/admin/orgs/{org.sec_b.id}").get_data(as_text=True).split("现任")[1]
    # The organization page assigns at that organization only, whatever the form says.
    html = client.post(f"/admin/orgs/{org.sec_b.id}/roles",
                       data={"role": "branch_secretary", "user_id": newcomer.id, "organization_id": org.branch_b1.id,
                             "starts_on": "2026-01-01"}).get_data(as_text=True)
    assert "「支部书记/支委」只能设在党支部" in html


def test_dates_in_the_wrong_format_are_refused_in_chinese(app, org, admin, client):
    html = _assign_page(client, org.member, role="branch_secretary", organization_id=org.branch_a1.id,
                        starts_on="2026/13/01")
    assert "请填写开始日期，格式如 2026-01-01" in html
    assert _events("admin.role_assigned") == []


# --- revoking -------------------------------------------------------------------------------------

def test_revoking_stops_the_role_at_once(app, org, admin, client):
    req = new_waiver(org.member)
    assert req.id in {r.id for r in db.session.scalars(todo(org.secretary))}
    (ra,) = org.secretary.role_assignments
    html = client.post(f"/admin/roles/{ra.id}/revoke", data={"back": "org"}, follow_redirects=True).get_data(as_text=True)
    assert f"已撤销 李书记（secretary）的「{org.branch_a1.name} · 支部书记/支委」" in html
    db.session.expire_all()
    ra = db.session.get(RoleAssignment, ra.id)
    assert ra.revoked_at is not None and ra.revoked_by_id == org.sysadmin.id and ra.ends_on == local_today()
    secretary = db.session.get(User, org.secretary.id)
    assert secretary.roles == []
    assert list(db.session.scalars(todo(secretary))) == []
    assert refusal(db.session.get(Request, req.id), secretary, Action.APPROVE) == "您不是当前审批环节的处理人"
    (event,) = _events("admin.role_revoked")
    assert event.object_id == ra.id and json.loads(event.detail)["role"] == "branch_secretary"
    # Twice: said so, nothing more.
    html = client.post(f"/admin/roles/{ra.id}/revoke", follow_redirects=True).get_data(as_text=True)
    assert "该任职已撤销" in html and len(_events("admin.role_revoked")) == 1


def test_revoking_a_term_not_yet_begun_leaves_it_never_held(app, org):
    start = local_today() + timedelta(days=10)
    ra = operations.assign_role(org.sysadmin, org.member, role="branch_secretary", organization_id=org.branch_a1.id,
                                starts_on=start)
    operations.revoke_role(org.sysadmin, ra)
    db.session.expire_all()
    ra = db.session.get(RoleAssignment, ra.id)
    assert not ra.held_on_day(start) and not ra.held_on_day(start + timedelta(days=100))
    from dangjian.accounts.roles import holders_on
    assert holders_on(org.branch_a1.id, Role.BRANCH_SECRETARY, start + timedelta(days=1)) != [] and \
        all(h.id != ra.id for h in holders_on(org.branch_a1.id, Role.BRANCH_SECRETARY, start + timedelta(days=1)))


def test_an_ended_term_or_ones_own_sysadmin_role_is_not_revoked(app, org, admin, client):
    past = operations.assign_role(org.sysadmin, org.member, role="branch_secretary", organization_id=org.branch_a1.id,
                                  starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))
    html = client.post(f"/admin/roles/{past.id}/revoke", follow_redirects=True).get_data(as_text=True)
    assert "该任职已于2020年12月31日结束，无需撤销" in html
    (mine,) = org.sysadmin.role_assignments
    html = client.post(f"/admin/roles/{mine.id}/revoke", follow_redirects=True).get_data(as_text=True)
    assert "不能撤销自己的系统管理员角色" in html
    db.session.expire_all()
    assert db.session.get(RoleAssignment, mine.id).revoked_at is None
    assert _events("admin.role_revoked") == []


# --- history --------------------------------------------------------------------------------------

@pytest.fixture
def successions(org):
    """支部书记 of 会计学院教工第一党支部: 王喆 2024-01-01 – 2025-06-30, then 张堃 from 2025-07-01
    (revoked today); 王喆 also 支部书记 of the 本科生党支部 for 2025."""
    a = operations.assign_role(org.sysadmin, org.member, role="branch_secretary", organization_id=org.branch_a1.id,
                               starts_on=date(2024, 1, 1), ends_on=date(2025, 6, 30), note="换届前")
    b = operations.assign_role(org.sysadmin, org.member2, role="branch_secretary", organization_id=org.branch_a1.id,
                               starts_on=date(2025, 7, 1))
    c = operations.assign_role(org.sysadmin, org.member, role="branch_secretary", organization_id=org.branch_a2.id,
                               starts_on=date(2025, 1, 1), ends_on=date(2025, 12, 31))
    operations.revoke_role(org.sysadmin, b)
    return a, b, c


def _held(client, org_id, day, role="branch_secretary") -> list[str]:
    html = client.get("/admin/roles/history", query_string={"org": org_id, "role": role, "on": day}).get_data(as_text=True)
    section = html.split('id="history-results"')[1]
    return re.findall(r'<div class="text-secondary dj-num">([^<]+)</div>', section)


def test_who_held_a_role_at_an_organization_on_a_day(app, org, admin, client, successions):
    # build_org's 李书记 and 赵支委 hold it from today (their assignment's default start).
    assert _held(client, org.branch_a1.id, "2025-03-01") == ["member"]
    assert _held(client, org.branch_a1.id, "2025-07-01") == ["member2"]
    assert _held(client, org.branch_a1.id, "2023-12-31") == []
    assert set(_held(client, org.branch_a1.id, local_today().isoformat())) == {"member2", "secretary", "committee"}
    assert _held(client, org.branch_a2.id, "2025-03-01") == ["member"]
    assert _held(client, org.branch_a1.id, "2025-03-01", role="secondary") == []
    html = client.get("/admin/roles/history", query_string={"org": org.branch_a1.id, "role": "branch_secretary",
                                                            "on": "2023-12-31"}).get_data(as_text=True)
    assert "该日无人任职" in html
    html = client.get("/admin/roles/history", query_string={"org": org.branch_a1.id, "on": "不是日期"}).get_data(as_text=True)
    assert "日期" in html and "有效" in html


def test_the_account_page_lists_every_role_held_with_who_granted_and_revoked(app, org, admin, client, successions):
    page = client.get(f"/admin/accounts/{org.member.id}").get_data(as_text=True)
    history = page.split("任职记录")[1]
    assert history.count('id="assignment-') == 2
    assert "2024-01-01 至 2025-06-30" in history and "换届前" in history and "2025-01-01 至 2025-12-31" in history
    assert "已结束" in history and "sysadmin" in history  # granted by
    page = client.get(f"/admin/accounts/{org.member2.id}").get_data(as_text=True).split("任职记录")[1]
    assert f"2025-07-01 至 {local_today().isoformat()}" in page and "已撤销" in page
    assert page.count("sysadmin") == 2  # granted and revoked by


# --- scope, the engine and 待办 agree --------------------------------------------------------------

PLACES = {"school": "school", "org_dept": "org_dept", "secondary unit": "sec_a", "branch": "branch_a1",
          "direct branch": "direct"}
STEP_ROLES = {Role.BRANCH_SECRETARY, Role.SECONDARY, Role.ORG_DEPT, Role.SCHOOL}


@pytest.fixture
def pending(org):
    """A pending request at every step of every kind of organization."""
    setup_settings(org)
    set_budget("100000.00")
    at_branch = new_waiver(org.member)
    at_secondary = new_waiver(org.member2)
    approve(at_secondary, org.secretary)
    at_school = new_waiver(org.member_b)
    approve(at_school, org.secretary_b)
    approve(at_school, org.secondary_b)
    at_direct = new_waiver(org.direct_member)
    at_org_dept = new_condolence(org.member, org.secretary, funding=FundingSource.SCHOOL)
    approve(at_org_dept, org.secondary)
    reqs = [at_branch, at_secondary, at_school, at_direct, at_org_dept]
    assert [(r.current_role, r.current_org_id) for r in reqs] == [
        ("branch_secretary", org.branch_a1.id), ("secondary", org.sec_a.id), ("school", org.school.id),
        ("branch_secretary", org.direct.id), ("org_dept", org.org_dept.id)]
    return reqs


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
def test_scope_the_engine_and_todo_agree_on_where_each_role_is_held(app, org, pending, role, place):
    target = getattr(org, PLACES[place])
    holder = make_user(f"holder_{role.value}")
    db.session.commit()
    reason = check_role_organization(role, target)
    if reason:
        assert _refused(org.sysadmin, holder, role=role.value, organization_id=target.id) == reason
        return
    operations.assign_role(org.sysadmin, holder, role=role.value, organization_id=target.id)
    db.session.expire_all()
    holder = db.session.get(User, holder.id)
    seen = set(db.session.scalars(select(Request.id).where(visible_requests(holder))))
    in_todo = {r.id for r in db.session.scalars(todo(holder))}
    engine = {r.id for r in pending if refusal(db.session.get(Request, r.id), holder, Action.APPROVE) is None}
    at_this_step = {r.id for r in pending if (r.current_role, r.current_org_id) == (role.value, target.id)}
    assert in_todo == engine == at_this_step
    assert engine <= seen
    if role in STEP_ROLES:
        assert at_this_step, "a role held where no step ever reaches it"
        for r in pending:  # whoever may act sees the request; its subtree is what it sees
            if target.contains(r.organization) or role in (Role.ORG_DEPT, Role.SCHOOL):
                assert r.id in seen
    elif role is Role.SUPERVISOR:
        assert seen >= {r.id for r in pending} and in_todo == set()
    else:  # 系统管理员: nothing at all
        assert seen == set() and in_todo == set()


def test_an_org_dept_holder_sees_and_gets_todo_in_the_inbox(app, org, pending, auth, client):
    holder = make_user("new_orgdept")
    db.session.commit()
    operations.assign_role(org.sysadmin, holder, role="org_dept", organization_id=org.org_dept.id)
    auth.login(holder)
    html = client.get("/inbox/todo").get_data(as_text=True)
    assert set(map(int, re.findall(r'id="inbox-item-(\d+)"', html))) == {pending[4].id}
    assert client.get(f"/requests/{pending[4].id}").status_code == 200
    assert _refused(org.sysadmin, holder, role="org_dept", organization_id=org.school.id).startswith("「组织部」只能设在党委组织部")
