"""批量同意 in headless Chromium, CSRF on (issue 8 §1): the branch secretary ticks two waivers in 待办,
the bar counts 「已选 2 项」, the form takes one 支委会 record and one opinion, the app's dialog asks
with the count, and the results list both; their cards turn into 已同意 cards without a reload."""
import os
from datetime import date, timedelta

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import new_waiver
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_two_waivers_approved_together_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    reqs = [new_waiver(org.member), new_waiver(org.member2)]
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("secretary")
        s.mark()

        bar = page.get_by_role("region", name="批量操作")
        expect(bar).to_be_hidden()
        for req in reqs:
            page.get_by_role("checkbox", name=f"选择 {req.number}").check()
        expect(bar).to_be_visible()
        expect(bar).to_contain_text("已选 2 项")
        expect(page.get_by_label("全选本页")).to_be_checked()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "batch-selected.png"))
        bar.get_by_role("button", name="批量同意").click()

        panel = page.locator("#batch-panel")
        expect(panel).to_contain_text("批量同意 · 党费减免申请 · 党支部讨论（会计学院教工第一党支部）")
        panel.get_by_label("会议类型").select_option(label="支委会")
        panel.get_by_label("会议日期").fill((date.today() - timedelta(days=1)).isoformat())
        panel.get_by_label("同意票").fill("5")
        panel.get_by_label("反对票").fill("0")
        panel.get_by_label("弃权票").fill("0")
        panel.get_by_role("button", name="情况属实，同意。").click()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "batch-form.png"), full_page=True)
        panel.get_by_role("button", name="同意这 2 项").click()
        assert confirm_dialog(page).startswith("确定批量同意这 2 项申请吗？")

        expect(panel).to_contain_text("已同意 2 项")
        for req in reqs:
            expect(panel).to_contain_text(req.number)
            expect(page.locator(f"#inbox-item-{req.id}")).to_contain_text("您已同意")
        expect(bar).to_be_hidden()
        s.assert_not_reloaded()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "batch-result.png"), full_page=True)

    assert errors == []
    db.session.expire_all()
    for req in reqs:
        fresh = db.session.get(Request, req.id)
        assert (fresh.state, fresh.current_step) == (RequestState.PENDING, "secondary")
        assert fresh.timeline[-1].opinion == "情况属实，同意。"
