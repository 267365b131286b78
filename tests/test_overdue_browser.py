"""In headless Chromium, CSRF on (issue 8 §8): the branch secretary's 待办 marks a request that has
waited too long 「已超期 N 个工作日」; 组织部 adds a holiday on the school calendar through its page
(管理 → 校历); the secretary's 待办 then counts one working day fewer."""
import os
import re
from datetime import timedelta

from dangjian.extensions import db
from dangjian.models import Request
from tests.browser_support import chromium, live_server
from tests.factories import new_waiver
from tests.test_browser import Session
from tests.test_overdue import entered, local_noon, previous_working_day, today_is_a_working_day

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_a_holiday_added_by_the_org_dept_changes_the_overdue_badge(app, org, tmp_path):
    from playwright.sync_api import expect

    today = today_is_a_working_day()
    req = new_waiver(org.member)
    entered(req, local_noon(today - timedelta(days=21)))
    holiday = previous_working_day(today)  # well after the due day
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("secretary")
        badge = page.locator(f"#inbox-item-{req.id} .dj-deadline")
        expect(badge).to_have_text(re.compile(r"^已超期 \d+ 个工作日$"))
        before = int(re.search(r"\d+", badge.inner_text()).group(0))
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "overdue-todo.png"), full_page=True)
        s.logout()

        s.login("orgdept")
        s.nav("管理")
        page.get_by_role("link", name="校历").click()
        page.get_by_role("textbox", name="日期", exact=True).fill(holiday.isoformat())
        page.get_by_label("类型").select_option(label="放假")
        page.get_by_label("名称").fill("校庆日")
        page.get_by_role("button", name="添加", exact=True).click()
        expect(page.get_by_text("校历已保存：放假 1 天")).to_be_visible()
        expect(page.locator(f'#calendar-days tr[data-day="{holiday.isoformat()}"]')).to_contain_text("校庆日")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "calendar.png"), full_page=True)
        s.logout()

        s.login("secretary")
        expect(page.locator(f"#inbox-item-{req.id} .dj-deadline")).to_have_text(f"已超期 {before - 1} 个工作日")

    assert errors == []
    db.session.expire_all()
    assert db.session.get(Request, req.id).current_step == "branch"
