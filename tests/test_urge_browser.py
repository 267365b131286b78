"""催办 in headless Chromium, CSRF on (issue 8 §3): the member whose waiver waits at the secondary step
urges it from the request page; the app's dialog asks first; the timeline shows the urge and whom it
reminded, without a reload, and the button gives way to when the next urge is possible."""
import os

from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import TimelineEntry
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_the_initiator_urges_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    approve(req, org.secretary)
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("member")
        page.goto(f"{base}/requests/{req.id}")
        s.mark()
        page.get_by_role("button", name="催办").click()
        assert confirm_dialog(page).startswith("确定催办吗？系统将提醒「二级党组织意见」的处理人尽快办理")

        timeline = page.locator("#request-timeline")
        expect(timeline.get_by_role("status")).to_have_text(
            "已催办：提醒「二级党组织意见」（会计学院党委）的陈组织员尽快办理。")
        urged = timeline.locator(".dj-tl-urge")
        expect(urged).to_contain_text("王喆")
        expect(urged).to_contain_text("催办")
        expect(timeline).to_contain_text("今天已催办，可于")
        expect(page.get_by_role("button", name="催办")).to_have_count(0)
        s.assert_not_reloaded()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "urged.png"), full_page=True)

    assert errors == []
    assert db.session.scalar(select(func.count(TimelineEntry.id)).where(
        TimelineEntry.request_id == req.id, TimelineEntry.action == "urge")) == 1
