"""兼职支部书记补贴 end to end in headless Chromium: the secondary unit previews last year's eligible
branches and submits the batch; 组织部 adjusts a line (first with an error shown next to the field,
then correctly; the timeline shows the change) without a page reload, and approves; 校党委 approves;
the paid secretary finds 书记补贴 in the navigation and downloads the notice rendered by a real
`flask worker`. CSRF is on and every request stays on our host."""
import re

from dangjian.timeutil import local_today
from tests.browser_support import chromium, confirm_dialog, flask_worker, live_server
from tests.factories_allowance import allowance_world
from tests.test_browser import Session


def test_allowance_from_batch_to_downloaded_notice(app, org, redis_conn, tmp_path):
    from playwright.sync_api import expect

    year = local_today().year - 1  # the start page's default year
    allowance_world(org, year=year)
    requested, console_errors = [], []

    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        context.on("request", lambda r: requested.append(r.url))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: console_errors.append(str(exc)))
        s = Session(page, base)

        # 1. 会计学院党委 previews the year and submits its batch.
        s.login("secondary")
        s.nav("发起申请")
        page.get_by_role("link", name="兼职支部书记补贴").click()
        expect(page.get_by_role("heading", name="发起兼职支部书记补贴")).to_be_visible()
        eligible = page.locator("#eligible-branches")
        expect(eligible).to_contain_text("会计学院教工第一党支部")
        expect(eligible).to_contain_text("¥3,000.00 × 12/12 = ¥3,000.00")
        expect(page.locator("#ineligible-branches")).to_contain_text("学生党支部，不属于教职工党支部")
        page.get_by_role("button", name=re.compile("创建并提交")).click()
        confirm_dialog(page)
        page.wait_for_url(re.compile(r"/requests/\d+$"))
        batch_id = int(page.url.rsplit("/", 1)[1])
        main = page.locator("#request-main")
        expect(main).to_contain_text("审批中")
        expect(main).to_contain_text(f"会计学院党委{year}年度兼职支部书记补贴")
        s.logout()

        # 2. 组织部 adjusts a line on the batch page, without a reload, then approves.
        s.login("orgdept")
        page.goto(f"{base}/requests/{batch_id}")
        s.mark()
        adjust = page.locator("#allowance-adjust")
        adjust.get_by_label("考核奖励").fill("100.00")
        adjust.get_by_role("button", name="保存调整").click()
        expect(page.locator("#allowance-adjust")).to_contain_text("五项明细合计 ¥2,500.00 与补贴金额 ¥3,000.00 不一致")
        adjust = page.locator("#allowance-adjust")
        adjust.get_by_label("补贴金额（合计）").fill("2500.00")
        adjust.get_by_label("调整说明").fill("考核奖励按考核情况核减")
        adjust.get_by_role("button", name="保存调整").click()
        detail = "会计学院教工第一党支部 李书记：¥3,000.00 → ¥2,500.00；考核奖励 ¥600.00 → ¥100.00"
        expect(main.locator(".dj-tl-detail")).to_have_text(detail)
        expect(main).to_contain_text("贰仟伍佰元整")
        s.assert_not_reloaded()
        main.get_by_label("意见", exact=True).fill("经核定，同意。")
        main.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(main.locator(".dj-steps")).to_contain_text("校党委审批")
        expect(main).to_contain_text("已同意")
        s.logout()

        # 3. 校党委 approves.
        s.login("school")
        page.goto(f"{base}/requests/{batch_id}")
        main.get_by_label("意见", exact=True).fill("同意。")
        main.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(main.locator(".dj-state-main")).to_contain_text("已通过")
        s.logout()

        # 4. The paid secretary finds the allowance and downloads the notice once it is rendered.
        s.login("secretary")
        s.nav("书记补贴")
        expect(page.locator("#my-allowances")).to_contain_text("¥2,500.00")
        page.get_by_role("link", name=re.compile(r"SB-\d{4}-\d{4}")).click()
        page.wait_for_url(re.compile(rf"/requests/{batch_id}$"))
        documents = page.locator(f"#documents-{batch_id}")
        with flask_worker(app, tmp_path / "worker.log"):
            expect(documents.get_by_role("link", name="下载 PDF")).to_have_count(2, timeout=40_000)
        s.nav("书记补贴")
        with page.expect_download() as info:
            page.get_by_role("link", name="下载核定通知").click()
        download = info.value
        assert download.suggested_filename.startswith(f"关于核定会计学院教工第一党支部{year}年度兼职支部书记补贴的通知")
        with open(download.path(), "rb") as f:
            assert f.read(5) == b"%PDF-"

    foreign = [u for u in requested if not (u.startswith(base + "/") or u.startswith("data:"))]
    assert foreign == [], foreign
    assert console_errors == [], console_errors
