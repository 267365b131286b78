"""In headless Chromium, CSRF on (issue 10 §3): a branch secretary opens 谈心谈话 from the main
navigation, sees who is due this semester, records a talk from a member's row, and the compliance
view shows that member as done with the date; the secondary unit sees the branch's figures move,
and the record without its content for nobody but the upper level."""
import os

from dangjian.extensions import db
from dangjian.models import RoleAssignment
from dangjian.talks.models import Talk
from dangjian.timeutil import local_today
from tests.browser_support import chromium, live_server
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")


def test_a_secretary_records_a_talk_and_the_compliance_view_updates(app, org, tmp_path):
    from playwright.sync_api import expect

    for ra in db.session.query(RoleAssignment):  # roles held since the semester began
        ra.starts_on = local_today().replace(year=local_today().year - 1)
    db.session.commit()
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("secretary")
        s.nav("谈心谈话")
        page.get_by_role("link", name="完成情况").click()
        summary = page.locator("#branch-summary")
        expect(summary).to_contain_text("应谈 3 人，已谈 0，待谈 3")
        row = page.locator("#member-table tr", has_text="张堃")
        expect(row).to_contain_text("待谈")
        row.get_by_role("link", name="记录谈话").click()

        expect(page.get_by_role("heading", name="记录谈心谈话")).to_be_visible()
        expect(page.get_by_label("张堃")).to_be_checked()
        page.get_by_label("王喆").check()  # a group talk with two members
        page.get_by_label("谈话类别").select_option(label="四必谈·生活困难")
        page.get_by_role("button", name="保存记录").click()
        expect(page.locator("#reason").locator("xpath=..")).to_contain_text("「四必谈」须填写事由")
        expect(page.get_by_label("张堃")).to_be_checked()  # nothing typed or picked is lost
        page.get_by_label("事由").fill("家庭经济困难")
        page.get_by_label("谈话地点").fill("支部活动室")
        page.get_by_label("谈话内容").fill("了解两位党员的家庭困难情况，介绍党费减免和结对帮扶的政策。")
        page.get_by_role("button", name="保存记录").click()

        expect(page.get_by_text("已记录")).to_be_visible()
        expect(page.locator("#talk-facts")).to_contain_text("王喆、张堃")
        expect(page.locator("#talk-private")).to_contain_text("介绍党费减免")
        s.nav("谈心谈话")
        page.get_by_role("link", name="完成情况").click()
        expect(summary).to_contain_text("应谈 3 人，已谈 2，待谈 1")
        expect(page.locator("#member-table tr", has_text="张堃")).to_contain_text(local_today().isoformat())
        expect(page.locator("#member-table tr", has_text="张堃")).to_contain_text("已谈")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "talks-compliance.png"), full_page=True)
        s.logout()

        # The other 支委 of the branch sees the record, not what was said.
        s.login("committee")
        talk = db.session.query(Talk).one()
        page.goto(f"{base}/talks/{talk.id}")
        expect(page.locator("#talk-facts")).to_contain_text("王喆、张堃")
        expect(page.locator("#talk-private")).to_contain_text("仅谈话人、上级党组织和纪委可见")
        expect(page.locator("#talk-private")).not_to_contain_text("介绍党费减免")
        s.logout()

        # The secondary unit: the branch's row moved, and the upper level reads the content.
        s.login("secondary")
        page.goto(f"{base}/talks/compliance?unit_id={org.sec_a.id}")
        branch_row = page.locator("#branch-table tr", has_text="会计学院教工第一党支部")
        expect(branch_row).to_contain_text("67%")
        page.goto(f"{base}/talks/{talk.id}")
        expect(page.locator("#talk-private")).to_contain_text("介绍党费减免")

    assert errors == []
