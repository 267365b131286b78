"""Sign-in in headless Chromium: the first 系统管理员 from `flask users create-admin` is held on the
password change until it changes the one-time password; 退出 clears the site and the old pages are
gone; an htmx request after a timeout takes the whole page to the login page (never a login form
inside a card). Real htmx, real cookies; the clock is moved, never slept."""
import re

from tests.signin_support import Clock
from tests.browser_support import chromium, live_server

NEW = "Dangjian#2026x"


def test_first_administrator_is_forced_to_change_the_one_time_password(app, tmp_path):
    from playwright.sync_api import expect

    result = app.test_cli_runner().invoke(args=["users", "create-admin", "admin", "--school-name",
                                                "中共某某大学委员会"])
    assert result.exit_code == 0, result.output
    password = re.search(r"一次性密码：(\S+)", result.output).group(1)

    with live_server(app) as base, chromium(tmp_path / "profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(base + "/login")
        page.get_by_label("账号").fill("admin")
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/account/password$"))
        expect(page.get_by_role("alert")).to_contain_text("请先修改密码")
        page.screenshot(path=str(tmp_path / "forced.png"), full_page=True)

        page.goto(base + "/admin/accounts")  # anything else leads back here
        page.wait_for_url(re.compile(r"/account/password$"))

        page.get_by_label("当前密码").fill(password)
        page.locator("#new_password").fill("admin2026")
        page.get_by_label("再次输入新密码").fill("admin2026")
        page.get_by_role("button", name="修改密码").click()
        errors = page.locator(".invalid-feedback")  # the help text says the same: look at the errors
        expect(errors.filter(has_text="密码不能包含账号")).to_be_visible()
        expect(errors.filter(has_text="至少3类")).to_be_visible()

        page.get_by_label("当前密码").fill(password)
        page.locator("#new_password").fill(NEW)
        page.get_by_label("再次输入新密码").fill(NEW)
        page.get_by_role("button", name="修改密码").click()
        expect(page.locator(".dj-flash")).to_contain_text("密码已修改")
        assert "/account/password" not in page.url
        page.screenshot(path=str(tmp_path / "changed.png"), full_page=True)

        page.get_by_role("button", name="退出").click()
        page.wait_for_url(re.compile(r"/login"))
        expect(page.get_by_role("status").first).to_contain_text("您已安全退出")
        page.go_back()  # the pages seen before 退出 are not shown again
        page.goto(base + "/admin/accounts")
        page.wait_for_url(re.compile(r"/login"))


def test_an_htmx_request_after_a_timeout_takes_the_whole_page_to_login(app, org, tmp_path, monkeypatch):
    from playwright.sync_api import expect

    from dangjian.accounts import sessions
    clock = Clock()
    monkeypatch.setattr(sessions, "now", clock)

    with live_server(app) as base, chromium(tmp_path / "profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto(base + "/login")
        page.get_by_label("账号").fill("member")
        page.get_by_label("密码").fill("pw")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/inbox/todo"))
        clock.advance(minutes=31)
        page.evaluate("htmx.ajax('GET', '/inbox/mine', {target: '#main', swap: 'innerHTML'})")
        page.wait_for_url(re.compile(r"/login$"))
        expect(page.locator(".dj-flash")).to_contain_text("登录已超时，请重新登录")
        assert page.locator("form input[name=password]").count() == 1  # one login form, the page's own
        page.screenshot(path=str(tmp_path / "timeout.png"), full_page=True)
