"""In headless Chromium, CSRF on (issue 8 §5): the branch secretary names a deputy on 委托代理; the
deputy finds the request in 待办 marked 「代李书记处理」, decides it through the app's dialog, and
the timeline records 「张堃（代李书记处理）」."""
import os
from datetime import date, timedelta

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Delegation, Request, TimelineEntry
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import new_waiver
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_a_delegation_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        # 1. 李书记 will be away: 委托代理 → 张堃, with a reason; the app asks before it delegates.
        s.login("secretary")
        page.get_by_role("button", name="个人菜单：李书记").click()  # 个人 → 委托代理, under the user's name
        page.get_by_role("link", name="委托代理").click()
        page.get_by_label("代理人").select_option(label="张堃（会计学院教工第一党支部）")
        page.get_by_label("委托事由").fill("赴外地出差")
        page.get_by_role("button", name="委托", exact=True).click()
        assert confirm_dialog(page) == "确定委托吗？生效期间代理人可以代您处理所选角色的审批事项。"
        expect(page.get_by_text("已委托张堃")).to_be_visible()
        expect(page.locator("table").last).to_contain_text("生效中")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "delegation-page.png"), full_page=True)
        s.logout()

        # 2. 张堃 finds it in 待办, marked as handled for 李书记, and approves for them.
        s.login("member2")
        card = page.locator(f"#inbox-item-{req.id}")
        expect(card).to_contain_text("代李书记处理")
        card.get_by_role("button", name="处理").click()
        expect(card.locator(".dj-deputy")).to_contain_text("正在代为处理")
        card.get_by_label("会议类型").select_option(label="支委会")
        card.get_by_label("会议日期").fill((date.today() - timedelta(days=1)).isoformat())
        card.get_by_label("同意票").fill("5")
        card.get_by_label("反对票").fill("0")
        card.get_by_label("弃权票").fill("0")
        card.get_by_label("意见", exact=True).fill("经支委会讨论，同意减交。")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "delegation-todo.png"), full_page=True)
        card.get_by_role("button", name="同意", exact=True).click()
        assert confirm_dialog(page) == "确定代李书记同意该申请吗？"
        expect(card).to_contain_text("已同意")

        page.goto(f"{base}/requests/{req.id}")
        expect(page.locator("#request-timeline .dj-tl-approve")).to_contain_text("张堃（代李书记处理）")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "delegation-timeline.png"), full_page=True)

    assert errors == []
    db.session.expire_all()
    assert db.session.scalars(select(Delegation)).one().deputy_id == org.member2.id
    entry = db.session.scalars(select(TimelineEntry).where(TimelineEntry.action == "approve")).one()
    assert (entry.actor_id, entry.on_behalf_of_id) == (org.member2.id, org.secretary.id)
    assert db.session.get(Request, req.id).current_step == "secondary"
