"""A 党费减免 end to end in headless Chromium, the way people use it: the member applies with a
real PDF as 证明材料, the branch secretary records the 支委会 and approves from 待办 without a page
reload, the secondary unit and the school approve, and the member watches the 审批表 appear and
downloads it. CSRF is on, the worker is a real `flask worker`, and every request stays on our host.
"""
import io
import re
from datetime import date, timedelta

from pypdf import PdfWriter

from tests.browser_support import chromium, confirm_dialog, flask_worker, live_server, nav_link

MARKER = "window.__djNoReload"


def small_pdf(path):
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buf = io.BytesIO()
    writer.write(buf)
    path.write_bytes(buf.getvalue())
    return path


class Session:
    """One browser tab, driven by what a user sees: labels, buttons and links."""

    def __init__(self, page, base):
        self.page, self.base = page, base

    def login(self, username, password="pw"):
        page = self.page
        page.goto(self.base + "/login")
        page.get_by_label("账号").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/inbox/todo"))

    def logout(self):
        self.page.get_by_role("button", name="退出").click()
        self.page.wait_for_url(re.compile(r"/login"))

    def nav(self, name):
        nav_link(self.page, name).click()

    def mark(self):
        """A marker that only survives as long as the page is not reloaded."""
        self.page.evaluate(f"{MARKER} = 'same page'")

    def assert_not_reloaded(self):
        assert self.page.evaluate(MARKER) == "same page", "the page was reloaded"


def test_dues_waiver_from_application_to_downloaded_pdf(app, org, redis_conn, tmp_path):
    from playwright.sync_api import expect

    app.config["DEMO_MODE"] = True
    meeting_day = (date.today() - timedelta(days=2)).isoformat()
    evidence = small_pdf(tmp_path / "困难证明.pdf")
    requested, console_errors = [], []

    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        context.on("request", lambda r: requested.append(r.url))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        s = Session(page, base)

        # The login page in demo mode lists the demo accounts; htmx is loaded from our /static.
        page.goto(base + "/login")
        accounts = page.get_by_role("table")
        expect(accounts).to_contain_text("dangyuan")
        expect(accounts).to_contain_text("支部书记")
        assert page.evaluate("typeof window.htmx") == "object"
        app.config["DEMO_MODE"] = False

        # 1. The member applies, filling every field, with a real PDF as 证明材料.
        s.login("member")
        s.nav("发起申请")
        expect(page.get_by_role("heading", name="发起申请")).to_be_visible()
        page.get_by_role("link", name="党费减免").click()
        expect(page.get_by_role("heading", name="申请党费减免")).to_be_visible()
        page.get_by_text("部分减交", exact=True).click()
        page.get_by_label("每月减免金额").fill("20.00")
        page.get_by_label("起始年月").fill("2026-01")
        page.get_by_label("截止年月").fill("2026-06")
        page.get_by_label("困难类别").select_option(label="生活困难")
        page.get_by_label("困难情况说明").fill("爱人长期患病住院，家庭收入明显下降，生活较为困难，申请部分减交党费。")
        page.get_by_label("证明材料").set_input_files(evidence)
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r"/requests/\d+$"))
        request_id = int(page.url.rsplit("/", 1)[1])
        expect(page.locator("#request-main")).to_contain_text("审批中")
        expect(page.locator("#request-main")).to_contain_text("困难证明.pdf")
        s.logout()

        # 2. The branch secretary records the 支委会 and approves from 待办, without a page reload.
        s.login("secretary")
        badge = page.locator("#todo-badge")
        expect(badge).to_have_text("1")
        s.mark()
        card = page.locator(f"#inbox-item-{request_id}")
        card.get_by_role("button", name="处理").click()
        card.get_by_label("会议类型").select_option(label="支委会")
        card.get_by_label("会议日期").fill(meeting_day)
        card.get_by_label("同意票").fill("5")
        card.get_by_label("反对票").fill("0")
        card.get_by_label("弃权票").fill("0")
        card.get_by_label("意见", exact=True).fill("经支委会讨论，情况属实，同意减交。")
        card.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(card).to_contain_text("已同意")
        expect(badge).to_have_text("0")
        s.assert_not_reloaded()
        s.logout()

        # 3. The secondary unit gives its opinion from 待办.
        s.login("secondary")
        card = page.locator(f"#inbox-item-{request_id}")
        card.get_by_role("button", name="处理").click()
        card.get_by_label("意见", exact=True).fill("同意支部意见。")
        card.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(card).to_contain_text("已同意")
        s.logout()

        # 4. The school committee approves from the request page. No worker runs yet, so the
        #    审批表 waits in the queue: the page must show that, then update itself.
        s.login("school")
        page.locator(f"#inbox-item-{request_id}").get_by_role("link", name="王喆的党费减免申请").click()
        page.wait_for_url(re.compile(rf"/requests/{request_id}$"))
        main = page.locator("#request-main")
        main.get_by_label("意见", exact=True).fill("同意。")
        main.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(main.locator(".dj-state-main")).to_contain_text("已通过")
        s.logout()

        # 5. The member opens the request from 我发起的 and watches the document being made.
        s.login("member")
        s.nav("我发起的")
        page.get_by_role("link", name="王喆的党费减免申请").click()
        page.wait_for_url(re.compile(rf"/requests/{request_id}$"))
        documents = page.locator(f"#documents-{request_id}")
        expect(documents).to_contain_text(re.compile("排队|正在生成"))
        s.mark()
        with flask_worker(app, tmp_path / "worker.log"):
            # An approved waiver has its 审批表 and the 批复 to the branch; the member downloads the form.
            form = documents.locator(".dj-doc", has_text="党费减免审批表")
            download_link = form.get_by_role("link", name="下载 PDF")
            expect(download_link).to_be_visible(timeout=30_000)
            expect(documents.locator(".dj-doc", has_text="批复").get_by_role("link", name="下载 PDF")).to_be_visible(
                timeout=30_000)
            s.assert_not_reloaded()
            with page.expect_download() as info:
                download_link.click()
        download = info.value
        assert download.suggested_filename.endswith(".pdf")
        assert "党费减免审批表" in download.suggested_filename
        with open(download.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"

    # Everything came from our own server: htmx, Bootstrap, our CSS and JS, the pages.
    assert any(u.startswith(base + "/static/vendor/htmx.min.js") for u in requested)
    assert any(u.startswith(base + "/static/vendor/bootstrap.min.css") for u in requested)
    foreign = [u for u in requested if not (u.startswith(base + "/") or u.startswith("data:"))]
    assert foreign == [], foreign
    # No script errors and no Content-Security-Policy violations (an inline script would be one).
    assert console_errors == [], console_errors
