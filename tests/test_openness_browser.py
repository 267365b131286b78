"""In headless Chromium, CSRF on (issue 10 §7 党务公开): 组织部 drafts a school-wide item, publishes it
through the app's dialog; a member reads it on the board; 组织部 withdraws it with a reason; the
member no longer finds it on the board and, opening it, reads why it was withdrawn."""
import os
from datetime import timedelta

from dangjian.extensions import db
from dangjian.openness.models import ItemStatus, OpenItem
from dangjian.timeutil import local_today
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_an_item_published_and_withdrawn(app, org, tmp_path):
    from playwright.sync_api import expect

    errors = []
    today = local_today()
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("orgdept")
        s.nav("管理")
        page.get_by_role("link", name="党务公开管理").click()
        page.get_by_role("link", name="＋ 新建公开事项").click()
        page.get_by_label("公开类别").select_option(label="重要事项决定")
        page.get_by_label("公开范围").select_option(label="全校")
        page.get_by_label("标题").fill("关于调整困难党员慰问标准的决定")
        page.get_by_label("公开内容").fill("如有疑问请联系13912345678。")
        page.get_by_label("公开截止日期").fill((today + timedelta(days=10)).isoformat())
        page.get_by_role("button", name="保存草稿").click()
        expect(page.get_by_text("疑似电话号码")).to_be_visible()  # private data never goes public
        page.get_by_label("公开内容").fill("经校党委会研究决定，七一、春节走访慰问标准由每人500元调整为每人800元。")
        page.get_by_role("button", name="保存草稿").click()
        expect(page.get_by_text("已保存为草稿")).to_be_visible()
        expect(page.locator("#item-status")).to_have_text("草稿")
        page.get_by_role("button", name="发布", exact=True).click()
        assert confirm_dialog(page).startswith("确定发布「关于调整困难党员慰问标准的决定」吗？")
        expect(page.locator("#item-status")).to_have_text("公开中")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "openness-published.png"), full_page=True)
        s.logout()

        s.login("member_b")
        s.nav("党务公开")
        expect(page.locator("main")).to_contain_text("关于调整困难党员慰问标准的决定")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "openness-board.png"), full_page=True)
        s.logout()

        s.login("orgdept")
        item_id = db.session.scalar(db.select(OpenItem.id))
        page.goto(f"{base}/openness/items/{item_id}")
        page.get_by_role("button", name="撤回").click()
        confirm_dialog(page)
        expect(page.get_by_text("请填写撤回原因")).to_be_visible()
        page.get_by_label("撤回原因").fill("标准待校党委会再次研究，暂时撤回。")
        page.get_by_role("button", name="撤回").click()
        assert "撤回后立即从党务公开中撤下" in confirm_dialog(page)
        expect(page.locator("#item-status")).to_have_text("已撤回")
        s.logout()

        s.login("member_b")
        s.nav("党务公开")
        expect(page.locator("main")).not_to_contain_text("关于调整困难党员慰问标准的决定")
        page.goto(f"{base}/openness/items/{item_id}")
        expect(page.locator("#withdrawn-notice")).to_contain_text("标准待校党委会再次研究，暂时撤回。")
        expect(page.locator("main")).not_to_contain_text("每人800元")

    assert errors == []
    db.session.expire_all()
    assert db.session.get(OpenItem, item_id).status is ItemStatus.WITHDRAWN
