"""In headless Chromium, CSRF on (issue 8 §4 and §6): 纪委 comments on a request under its timeline
and the comment appears there without a reload, set apart from decisions; the branch secretary who
approved takes the decision back through the app's dialog, and the request is back at the branch."""
import os

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_a_comment_and_a_take_back_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    approve(req, org.secretary, opinion="经支委会研究，同意减免。")
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("supervisor")
        page.goto(f"{base}/requests/{req.id}")
        s.mark()
        page.get_by_label("评论").fill("请注意核对减免月份与诊断证明日期。")
        page.get_by_role("button", name="发表评论").click()
        expect(page.get_by_text("评论已发布")).to_be_visible()
        comment = page.locator("#request-timeline .dj-tl-comment")
        expect(comment).to_contain_text("发表评论")
        expect(comment).to_contain_text("请注意核对减免月份与诊断证明日期。")
        s.assert_not_reloaded()
        expect(page.get_by_label("评论")).to_have_value("")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "comment.png"), full_page=True)
        s.logout()

        s.login("secretary")
        page.goto(f"{base}/requests/{req.id}")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "take-back-button.png"), full_page=True)
        page.get_by_role("button", name="取回", exact=True).click()
        assert confirm_dialog(page) == "确定取回您的同意决定吗？申请将回到您的环节，由您重新审批。"
        expect(page.get_by_text(f"已取回：{req.number}")).to_be_visible()
        expect(page.locator("#request-timeline .dj-tl-take_back")).to_contain_text("取回决定")
        expect(page.get_by_role("button", name="同意", exact=True)).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "taken-back.png"), full_page=True)

    assert errors == []
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    assert (fresh.state, fresh.current_step) == (RequestState.PENDING, "branch")
