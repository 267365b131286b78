"""The 系统管理员 edits an account after creation: 姓名, 电子邮箱 and the link to a member record
(link, change, unlink; one account per member; never a 系统管理员 account, 三员分立). The username
stays. Each change is audited with the fields it changed. The account page shows what an
administrator checks first (created, last sign-in, password changed, must-change, lock), and the
account list pages through 45 accounts keeping its search and filters."""
import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from dangjian.accounts import operations, sessions
from dangjian.accounts.operations import AdminError
from dangjian.extensions import db
from dangjian.models import AuditEvent, MemberStatus, User
from dangjian.timeutil import local_today, to_local
from tests.conftest import Auth
from tests.factories import make_member, make_user, new_waiver


@pytest.fixture
def admin(org, auth):
    auth.login(org.sysadmin)
    return auth


def _events(action="admin.account_updated"):
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()


def _reload(user):
    db.session.expire_all()
    return db.session.get(User, user.id)


def _edit(client, user, follow=True, **data):
    return client.post(f"/admin/accounts/{user.id}/edit", data=data, follow_redirects=follow)


def _snapshot(user):
    user = _reload(user)
    return user.username, user.display_name, user.email, user.member_id


# --- name and e-mail ------------------------------------------------------------------------------

def test_the_edit_page_shows_the_current_values_and_a_fixed_username(app, org, admin, client):
    html = client.get(f"/admin/accounts/{org.member.id}/edit").get_data(as_text=True)
    assert 'id="username" value="member" readonly' in html and "创建后不能修改" in html
    assert 'name="display_name" type="text" value="王喆"' in html
    # The current member is offered and checked; 不关联 is the other choice.
    m = org.member.member
    assert f'name="member_id" id="member-{m.id}" value="{m.id}" form="account-form" checked' in html
    assert 'id="member-none" value="" form="account-form">' in html
    assert f'name="keep" value="{m.id}"' in html
    page = client.get(f"/admin/accounts/{org.member.id}").get_data(as_text=True)
    assert f'href="/admin/accounts/{org.member.id}/edit"' in page and "修改信息" in page


def test_change_name_and_email_is_saved_and_audited_with_the_fields(app, org, admin, client):
    m = org.member.member
    html = _edit(client, org.member, display_name="王喆（会计）", email="wangzhe@example.edu.cn",
                 member_id=m.id).get_data(as_text=True)
    assert "已保存账号「member」的修改：姓名、电子邮箱" in html
    user = _reload(org.member)
    assert (user.display_name, user.email, user.member_id) == ("王喆（会计）", "wangzhe@example.edu.cn", m.id)
    (event,) = _events()
    detail = json.loads(event.detail)
    assert event.user_id == org.sysadmin.id and event.object_type == "users" and event.object_id == user.id
    assert detail["username"] == "member" and detail["changed"] == ["姓名", "电子邮箱"]
    assert detail["before"] == {"display_name": "王喆", "email": ""}
    assert detail["after"] == {"display_name": "王喆（会计）", "email": "wangzhe@example.edu.cn"}
    # The new name is what everyone sees from now on.
    assert "王喆（会计）" in client.get("/admin/accounts?q=member").get_data(as_text=True)


def test_the_username_cannot_be_changed(app, org, admin, client):
    _edit(client, org.member2, username="boss", display_name="张堃", email="", member_id=org.member2.member_id)
    assert _reload(org.member2).username == "member2"
    assert db.session.scalar(select(User).where(User.username == "boss")) is None
    assert _events() == []  # the name field was all that was sent, and it was unchanged


def test_saving_without_a_change_says_so_and_audits_nothing(app, org, admin, client):
    html = _edit(client, org.member2, display_name="张堃", email="", member_id=org.member2.member_id).get_data(as_text=True)
    assert "没有修改任何内容" in html
    assert _events() == []


@pytest.mark.parametrize("data,message", [
    ({"display_name": "张堃", "email": "zhangkun@"}, "电子邮箱格式不正确"),
    ({"display_name": "张堃", "email": "zhang kun@example.edu.cn"}, "电子邮箱格式不正确"),
    ({"display_name": "长" * 51}, "姓名不能超过50字"),
    ({"display_name": "", "member_id": ""}, "请填写姓名（或关联一名党员）"),
    ({"display_name": "张堃", "member_id": "999999"}, "所选党员不存在，请重新查找"),
])
def test_refusals_are_in_chinese_next_to_the_field_and_write_nothing(app, org, admin, client, data, message):
    data = {"member_id": org.member2.member_id, "email": "", **data}
    before = _snapshot(org.member2)
    resp = _edit(client, org.member2, follow=False, **data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and message in html
    assert 'class="invalid-feedback d-block">' + message in html
    assert _snapshot(org.member2) == before
    assert _events() == []


# --- the member link ------------------------------------------------------------------------------

def test_link_change_and_unlink_the_member_record(app, org, admin, client):
    staff = make_user("staff_li")
    staff.display_name = "李老师"
    first = make_member(org.branch_b1, "李晓")
    second = make_member(org.branch_a2, "李明")
    db.session.commit()
    # Link: the name stays as typed.
    html = _edit(client, staff, display_name="李老师", email="", member_id=first.id).get_data(as_text=True)
    assert "已保存账号「staff_li」的修改：关联党员" in html
    assert _reload(staff).member_id == first.id
    page = client.get(f"/admin/accounts/{staff.id}").get_data(as_text=True)
    assert f"李晓（<span class=\"dj-num\">{first.staff_no}</span>，{org.branch_b1.name}）" in page
    # The picker now marks the member as taken.
    found = client.get("/admin/members/search", query_string={"member_q": first.staff_no}).get_data(as_text=True)
    assert "已有账号 staff_li" in found
    # Change to another member.
    _edit(client, staff, display_name="李老师", email="", member_id=second.id)
    assert _reload(staff).member_id == second.id
    # Unlink (不关联党员).
    html = _edit(client, staff, display_name="李老师", email="", member_id="").get_data(as_text=True)
    assert "已保存账号「staff_li」的修改：关联党员" in html
    assert _reload(staff).member_id is None
    link, change, unlink = [json.loads(e.detail) for e in _events()]
    assert link["changed"] == ["关联党员"] and link["before"] == {"member": None}
    assert link["after"] == {"member": f"李晓（{first.staff_no}）"} and link["member_id"] == first.id
    assert change["before"] == {"member": f"李晓（{first.staff_no}）"} and change["after"] == {"member": f"李明（{second.staff_no}）"}
    assert unlink["after"] == {"member": None} and unlink["member_id"] is None


def test_linking_gives_the_account_the_members_own_requests(app, org, admin, client):
    """What the link means: the requests about the member (here a 党费减免 the secretary filed for
    王喆) are seen through the account linked to him, and no longer through the one unlinked."""
    staff = make_user("staff_wang")
    db.session.commit()
    req = new_waiver(org.member, initiator=org.secretary)
    wang = org.member.member_id
    _edit(client, org.member, display_name="王喆", email="", member_id="")  # his old account lets go
    _edit(client, staff, display_name="王喆", email="", member_id=wang)
    assert _reload(staff).member_id == wang
    person = Auth(app.test_client())
    person.login(_reload(staff))
    assert person.client.get(f"/requests/{req.id}").status_code == 200
    old = Auth(app.test_client())
    old.login(_reload(org.member))
    assert old.client.get(f"/requests/{req.id}").status_code == 404


def test_a_member_has_at_most_one_account(app, org, admin, client):
    taken = org.member.member
    before = _snapshot(org.member2)
    html = _edit(client, org.member2, display_name="张堃", email="", member_id=taken.id).get_data(as_text=True)
    assert f"党员王喆（{taken.staff_no}）已有账号「member」，一名党员只能有一个账号" in html
    assert _snapshot(org.member2) == before and _reload(org.member).member_id == taken.id
    assert _events() == []


def test_a_sysadmin_account_is_never_linked_to_a_member(app, org, admin, client):
    """三员分立: the page offers no picker, and the operation refuses whoever asks."""
    page = client.get(f"/admin/accounts/{org.sysadmin.id}/edit").get_data(as_text=True)
    assert 'name="member_id"' not in page and "系统管理员使用不关联党员信息的专用账号，不能关联党员" in page
    free = make_member(org.branch_a1, "郑新")
    other_admin = make_user("admin2")
    db.session.commit()
    operations.assign_role(org.sysadmin, other_admin, role="sysadmin", organization_id=org.school.id)
    html = _edit(client, other_admin, display_name="admin2", email="", member_id=free.id).get_data(as_text=True)
    assert "按三员分立要求，系统管理员账号不能关联党员信息" in html
    assert _reload(other_admin).member_id is None and _events() == []
    # Its name and e-mail still change; no member_id sent means the link is left as it is.
    html = _edit(client, other_admin, display_name="第二管理员", email="admin2@example.edu.cn").get_data(as_text=True)
    assert "已保存账号「admin2」的修改：姓名、电子邮箱" in html
    assert _reload(other_admin).member_id is None


def test_a_sysadmin_term_that_starts_later_also_forbids_the_link(app, org):
    other_admin = make_user("admin3")
    free = make_member(org.branch_a1, "冯远")
    db.session.commit()
    operations.assign_role(org.sysadmin, other_admin, role="sysadmin", organization_id=org.school.id,
                           starts_on=local_today() + timedelta(days=30))
    with pytest.raises(AdminError) as exc:
        operations.update_account(org.sysadmin, other_admin, display_name="admin3", member_id=free.id)
    db.session.rollback()
    assert exc.value.field == "member_id" and exc.value.message.startswith("按三员分立要求")


def test_the_member_search_keeps_the_current_link_offered(app, org, admin, client):
    m = org.member.member
    found = client.get("/admin/members/search", query_string={"member_q": "张", "keep": m.id}).get_data(as_text=True)
    assert f'id="member-{m.id}" value="{m.id}" form="account-form" checked' in found
    assert 'id="member-none" value="" form="account-form">' in found  # not checked: the link stays
    assert "张堃" in found


# --- the account page -----------------------------------------------------------------------------

def test_the_account_page_shows_sign_in_and_password_state(app, org, admin, client):
    page = client.get(f"/admin/accounts/{org.member2.id}").get_data(as_text=True)
    user = _reload(org.member2)
    assert f'<dd class="dj-num">{to_local(user.created_at).strftime("%Y-%m-%d %H:%M")}</dd>' in page
    assert "从未登录" in page
    assert re.search(r'id="password-changed">本人尚未修改过密码<', page)
    assert re.search(r'id="must-change">否<', page)
    assert re.search(r'id="lock-state">未锁定<', page)

    # After a sign-in, a password change, two failures and then a lock.
    Auth(app.test_client()).login(user)
    changed_at = sessions.now() - timedelta(days=3)
    until = sessions.now() + timedelta(minutes=15)
    user = _reload(org.member2)
    user.password_changed_at = changed_at
    user.failed_logins = 5
    user.locked_until = until
    db.session.commit()
    page = client.get(f"/admin/accounts/{org.member2.id}").get_data(as_text=True)
    user = _reload(org.member2)
    assert to_local(user.last_login_at).strftime("%Y-%m-%d %H:%M") in page
    assert f'id="password-changed">{to_local(changed_at).strftime("%Y-%m-%d %H:%M")}<' in page
    assert (f'id="lock-state">已锁定至 <span class="dj-num">{to_local(until).strftime("%Y-%m-%d %H:%M")}</span>'
            "（连续登录失败 5 次）") in page

    # A reset: a temporary password that must be changed; the lock is lifted.
    client.post(f"/admin/accounts/{org.member2.id}/reset-password")
    page = client.get(f"/admin/accounts/{org.member2.id}").get_data(as_text=True)
    assert re.search(r'id="must-change">是（正在使用临时密码）<', page)
    assert re.search(r'id="lock-state">未锁定<', page)
    # Failures below the lock threshold are shown too.
    user = _reload(org.member2)
    user.failed_logins = 2
    db.session.commit()
    page = client.get(f"/admin/accounts/{org.member2.id}").get_data(as_text=True)
    assert re.search(r'id="lock-state">未锁定（连续登录失败 2 次）<', page)


# --- the list: 45 accounts, pages that keep the search --------------------------------------------

def _listed(html) -> list[str]:
    return re.findall(r'<td class="dj-num fw-semibold">([^<]+)<', html)


def _page_links(html) -> dict[str, dict]:
    """The pagination's links by their text, as parsed query strings."""
    nav = html.split('aria-label="分页"')[1].split("</nav>")[0]
    links = {}
    for href, text in re.findall(r'<a class="page-link" href="([^"]+)">([^<]+)</a>', nav):
        if href != "#":
            links[text] = {k: v[0] for k, v in parse_qs(urlsplit(href.replace("&amp;", "&")).query).items()}
    return links


@pytest.fixture
def many(org):
    """45 accounts in all: build_org's 16 and 29 more, 4 of those disabled."""
    for i in range(29):
        user = make_user(f"zz_user{i:02d}")
        user.active = i not in (3, 7, 11, 19)
    db.session.commit()


def test_45_accounts_make_three_pages(app, org, admin, client, many):
    first = client.get("/admin/accounts").get_data(as_text=True)
    assert "共 45 个账号" in first and len(_listed(first)) == 20
    links = _page_links(first)
    assert set(links) == {"1", "2", "3", "下一页"} and links["下一页"] == {"page": "2"}
    seen = _listed(first) + _listed(client.get("/admin/accounts?page=2").get_data(as_text=True))
    last = client.get("/admin/accounts?page=3").get_data(as_text=True)
    assert len(_listed(last)) == 5 and "上一页" in last
    seen += _listed(last)
    assert len(seen) == len(set(seen)) == 45 and seen == sorted(seen)
    # An old link past the end shows the last page, not 「还没有账号」.
    beyond = client.get("/admin/accounts?page=9").get_data(as_text=True)
    assert _listed(beyond) == _listed(last) and "还没有账号" not in beyond


def test_search_and_filters_are_kept_across_pages(app, org, admin, client, many):
    query = {"q": "zz_", "status": "active", "role": "none"}
    first = client.get("/admin/accounts", query_string=query).get_data(as_text=True)
    assert "共 25 个账号（已筛选）" in first and len(_listed(first)) == 20
    # The form shows what was asked, so the next search starts from it.
    assert 'name="q" value="zz_"' in first
    assert '<option value="active" selected>' in first and '<option value="none" selected>' in first
    links = _page_links(first)
    assert links["2"] == links["下一页"] == {"page": "2", **query}
    second = client.get("/admin/accounts", query_string=links["2"]).get_data(as_text=True)
    rows = _listed(second)
    assert len(rows) == 5 and all(r.startswith("zz_user") for r in rows)
    assert {"zz_user03", "zz_user07", "zz_user11", "zz_user19"}.isdisjoint(_listed(first) + rows)
    assert _page_links(second)["上一页"] == {"page": "1", **query}


def test_the_live_search_answers_rows_that_keep_the_filters(app, org, admin, client, many):
    """What htmx sends as one types: the whole form (q with the selects), answered with the rows only;
    their page links carry every filter, and the URL pushed keeps them for a reload."""
    query = {"q": "zz_user1", "status": "disabled", "role": ""}
    rows = client.get("/admin/accounts", query_string=query, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in rows and _listed(rows) == ["zz_user11", "zz_user19"]
    query = {"q": "zz_", "status": "active", "role": "none"}
    rows = client.get("/admin/accounts", query_string=query, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "共 25 个账号（已筛选）" in rows and _page_links(rows)["下一页"] == {"page": "2", **query}
    page = client.get("/admin/accounts").get_data(as_text=True)
    (form,) = re.findall(r'<form[^>]*role="search"[^>]*>', page)
    assert 'hx-push-url="true"' in form and "change from:select" in form


# --- in Chromium ----------------------------------------------------------------------------------

def test_edit_an_account_and_page_a_filtered_list_in_a_browser(app, org, many, tmp_path):
    """CSRF on, htmx as users get it: 修改信息 with the live member search (the current link stays
    offered), and a filtered list paged with 下一页 keeping its search. Screenshots go to
    ADMIN_SCREENSHOTS when set, else the test's tmp dir."""
    import os

    from playwright.sync_api import expect

    from tests.browser_support import chromium, live_server

    free = make_member(org.branch_b1, "欧阳珏")
    db.session.commit()
    target_id, free_id, free_no, current_no = org.member2.id, free.id, free.staff_no, org.member2.member.staff_no
    shots = os.environ.get("ADMIN_SCREENSHOTS") or str(tmp_path / "shots")
    os.makedirs(shots, exist_ok=True)
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "/login")
        page.get_by_label("账号").fill("sysadmin")
        page.get_by_label("密码").fill("pw")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/admin/accounts$"))

        page.goto(f"{base}/admin/accounts/{target_id}")
        expect(page.locator("#lock-state")).to_have_text("未锁定")
        page.screenshot(path=f"{shots}/account-state-desktop.png", full_page=True)
        page.get_by_role("link", name="修改信息").click()
        expect(page.locator("#username")).to_have_attribute("readonly", "")
        page.get_by_label("姓名", exact=True).fill("张堃（经济）")
        page.get_by_label("电子邮箱").fill("zhangkun@example.edu.cn")
        # A search that finds someone else keeps the current link offered and checked.
        page.get_by_placeholder("输入工号或姓名查找其他党员").fill(free_no)
        expect(page.get_by_label(re.compile("欧阳珏"))).to_be_visible()
        expect(page.get_by_label(re.compile(current_no))).to_be_checked()
        page.get_by_label(re.compile("欧阳珏")).check()
        page.screenshot(path=f"{shots}/account-edit-desktop.png", full_page=True)
        page.get_by_role("button", name="保存").click()
        expect(page.locator(".dj-flash")).to_contain_text("已保存账号「member2」的修改：姓名、电子邮箱、关联党员")
        expect(page.locator("main")).to_contain_text(f"欧阳珏（{free_no}")
        user = _reload(org.member2)
        assert (user.display_name, user.email, user.member_id) == ("张堃（经济）", "zhangkun@example.edu.cn", free_id)

        # The list: filter, search, then 下一页 keeps both.
        page.goto(base + "/admin/accounts")
        page.get_by_label("角色", exact=True).select_option(value="none")
        page.get_by_label("状态", exact=True).select_option(value="active")
        page.get_by_label("搜索").fill("zz_")
        expect(page.locator(".dj-list-meta")).to_have_text("共 25 个账号（已筛选）")
        page.get_by_role("link", name="下一页").click()
        expect(page.locator("#account-table tbody tr")).to_have_count(5)
        expect(page.get_by_label("角色", exact=True)).to_have_value("none")
        expect(page.get_by_label("状态", exact=True)).to_have_value("active")
        expect(page.get_by_label("搜索")).to_have_value("zz_")
        page.screenshot(path=f"{shots}/accounts-page2-desktop.png", full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        for name, url in (("account-state", f"/admin/accounts/{target_id}"),
                          ("account-edit", f"/admin/accounts/{target_id}/edit")):
            page.goto(base + url)
            page.screenshot(path=f"{shots}/{name}-phone.png", full_page=True)
    assert errors == [], errors


@pytest.mark.parametrize("status", [MemberStatus.DECEASED, MemberStatus.EXPELLED])
def test_no_account_is_created_for_or_linked_to_a_member_who_died_or_left(app, org, admin, client, status):
    gone = make_member(org.branch_a1, "郑故", status=status, status_on=date(2025, 3, 1))
    db.session.commit()
    message = f"党员郑故（{gone.staff_no}）已于2025年3月1日{status.label}，不能为其建立或关联账号"
    found = client.get("/admin/members/search", query_string={"member_q": gone.staff_no}).get_data(as_text=True)
    assert re.search(rf'value="{gone.id}"[^>]*disabled', found) and f'<span class="dj-tag">{status.label}</span>' in found
    html = client.post("/admin/accounts/new", data={"username": "zhenggu", "member_id": gone.id}).get_data(as_text=True)
    assert message in html
    assert db.session.scalar(select(User).where(User.username == "zhenggu")) is None
    before = _snapshot(org.member2)
    html = _edit(client, org.member2, display_name="张堃", email="", member_id=gone.id).get_data(as_text=True)
    assert message in html and _snapshot(org.member2) == before and _events() == []


def test_a_suspended_member_may_still_be_linked(app, org, admin, client):
    """停止党籍 can be restored: the person keeps access to their own records."""
    paused = make_member(org.branch_a1, "郑停", status=MemberStatus.SUSPENDED, status_on=date(2025, 3, 1))
    db.session.commit()
    resp = client.post("/admin/accounts/new", data={"username": "zhengting", "member_id": paused.id})
    assert "账号已创建" in resp.get_data(as_text=True)
