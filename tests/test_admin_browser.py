"""The 系统管理员's pages in headless Chromium, CSRF on: the admin lands on its accounts page, creates an
account linked to a member found by 工号, sees the temporary password once, makes it 支部书记, and the
confirmations before 停用 and 重置密码 really appear: dismissed, no request leaves the browser;
accepted, the action happens. Screenshots at desktop and phone width go to the test's tmp dir
(ADMIN_SCREENSHOTS=dir keeps them)."""
import os
import re

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Role, User
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import make_member


def _shots_dir(tmp_path):
    path = os.environ.get("ADMIN_SCREENSHOTS") or str(tmp_path / "shots")
    os.makedirs(path, exist_ok=True)
    return path


def test_the_administrator_manages_accounts_and_roles_in_a_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    member = make_member(org.branch_b1, "欧阳珏")
    db.session.commit()
    staff_no, member_id, branch_b1_id = member.staff_no, member.id, org.branch_b1.id
    shots = _shots_dir(tmp_path)
    posts, console_errors, native_dialogs = [], [], []

    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        context.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
        page = context.pages[0] if context.pages else context.new_page()
        page.on("dialog", lambda d: (native_dialogs.append(d.message), d.dismiss()))
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))

        page.goto(base + "/login")
        page.get_by_label("账号").fill("sysadmin")
        page.get_by_label("密码").fill("pw")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/admin/accounts$"))
        nav = page.get_by_role("navigation", name="主导航")
        expect(nav.get_by_role("link")).to_have_count(1)
        expect(page.locator("#account-table")).to_contain_text("secretary_b")
        page.screenshot(path=f"{shots}/accounts-desktop.png", full_page=True)

        # Live search (htmx) narrows the list.
        page.get_by_label("搜索").fill("书记")
        expect(page.locator("#account-table tbody tr")).to_have_count(4)
        page.get_by_label("搜索").fill("")
        expect(page.locator("#account-table tbody tr")).to_have_count(16)

        # Create an account linked to a member found by 工号.
        page.get_by_role("link", name="＋ 新建账号").click()
        page.get_by_placeholder("输入工号或姓名查找党员").fill(staff_no)
        page.get_by_label(re.compile("欧阳珏")).check()
        page.locator("#username").fill("ouyang")
        page.screenshot(path=f"{shots}/account-new-desktop.png", full_page=True)
        page.get_by_role("button", name="创建账号").click()
        expect(page.locator("main")).to_contain_text("账号已创建")
        password = page.locator("#temporary-password").inner_text()
        assert len(password) == 12
        page.screenshot(path=f"{shots}/password-desktop.png", full_page=True)
        user = db.session.scalar(select(User).where(User.username == "ouyang"))
        assert user.member_id == member_id and user.must_change_password and user.check_password(password)

        # Make it 支部书记 of its branch.
        page.get_by_role("link", name="为其任命角色").click()
        form = page.locator("#role-form")
        form.get_by_label("角色").select_option(label="支部书记/支委")
        form.get_by_label("组织").select_option(value=str(branch_b1_id))
        form.get_by_role("button", name="任命").click()
        expect(page.locator(".dj-flash")).to_contain_text("已任命 欧阳珏（ouyang）为「经济学院教工党支部 · 支部书记/支委」")
        assert page.locator("main").inner_text().count(password) == 0
        page.screenshot(path=f"{shots}/account-desktop.png", full_page=True)
        db.session.expire_all()
        assert [ra.role for ra in db.session.get(User, user.id).roles] == [Role.BRANCH_SECRETARY]

        # 停用: cancelled, nothing is sent; confirmed, the account is disabled.
        before = len(posts)
        page.get_by_role("button", name="停用账号").click()
        assert "确定停用账号「ouyang」吗" in confirm_dialog(page, "取消")
        assert len(posts) == before, "a cancelled confirmation still sent the request"
        page.get_by_role("button", name="停用账号").click()
        assert "确定停用账号「ouyang」吗" in confirm_dialog(page)
        expect(page.locator(".dj-flash")).to_contain_text("已停用账号「ouyang」")
        assert len(posts) == before + 1
        db.session.expire_all()
        assert db.session.get(User, user.id).active is False

        # 重置密码: the same.
        before = len(posts)
        page.get_by_role("button", name="重置密码").click()
        assert "确定重置账号「ouyang」的密码吗" in confirm_dialog(page, "取消")
        assert len(posts) == before
        page.get_by_role("button", name="重置密码").click()
        confirm_dialog(page)
        expect(page.locator("main")).to_contain_text("密码已重置")
        assert page.locator("#temporary-password").inner_text() != password

        # The organization page and role history.
        page.goto(f"{base}/admin/orgs")
        page.screenshot(path=f"{shots}/orgs-desktop.png", full_page=True)
        page.get_by_role("link", name="经济学院教工党支部").click()
        expect(page.locator("main")).to_contain_text("欧阳珏")
        page.screenshot(path=f"{shots}/org-desktop.png", full_page=True)
        page.get_by_role("link", name="查询历任人员").click()
        expect(page.locator("#history-results")).to_contain_text("欧阳珏")
        page.screenshot(path=f"{shots}/history-desktop.png", full_page=True)

        # Phone width.
        page.set_viewport_size({"width": 390, "height": 844})
        for name, url in (("accounts", "/admin/accounts"), ("account", f"/admin/accounts/{user.id}"),
                          ("org", f"/admin/orgs/{org.branch_b1.id}")):
            page.goto(base + url)
            page.screenshot(path=f"{shots}/{name}-phone.png", full_page=True)

    assert console_errors == [], console_errors
