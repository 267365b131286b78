"""In headless Chromium, CSRF on (issue 8 §7): a branch's only secretary filed for a member, so the
step went to 会计学院党委; its one holder's account is then disabled. 组织部 opens the request, reads
「本环节暂无可处理人」 and why, and hands the step (转办) to a named colleague, who finds it in 待办."""
import os

from dangjian.extensions import db
from dangjian.models import Request, Role
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import make_member, make_user, new_waiver
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_the_transfer_of_a_stuck_step_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    member = make_user("member_a2", make_member(org.branch_a2, "林同学"))
    make_user("orgdept2", None, [(Role.ORG_DEPT, org.org_dept)]).display_name = "吴组织部"
    db.session.commit()
    req = new_waiver(member, initiator=org.secretary_a2)  # 钱书记 is recused: 会计学院党委 has it
    org.secondary.active = False  # … and its one holder leaves
    db.session.commit()
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1100}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("orgdept")
        page.goto(f"{base}/requests/{req.id}")
        waiting = page.locator("#request-timeline .dj-tl-waiting")
        expect(waiting).to_contain_text("本环节暂无可处理人：「会计学院党委」的二级党组织书记/组织员账号均已停用")
        expect(page.locator("#request-timeline .dj-tl-reroute")).to_contain_text("均须回避")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "stuck.png"), full_page=True)
        s.mark()
        page.get_by_label("转办给").select_option(label="吴组织部（党委组织部 · 组织部）")
        page.get_by_label("转办说明").fill("二级党组织暂无可处理人，请吴组织部办理。")
        page.get_by_role("button", name="转办", exact=True).click()
        assert confirm_dialog(page) == "确定转办吗？转办后只有被转办人（及其委托的代理人）可以办理本环节。"
        expect(page.get_by_text(f"已转办：{req.number}")).to_be_visible()
        s.assert_not_reloaded()
        expect(page.locator("#request-timeline .dj-tl-transfer")).to_contain_text("转办给吴组织部（党委组织部 · 组织部）")
        expect(page.locator("#request-timeline .dj-tl-waiting")).not_to_contain_text("暂无可处理人")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "transferred.png"), full_page=True)
        s.logout()

        s.login("orgdept2")
        expect(page.locator(f"#inbox-item-{req.id}")).to_be_visible()
        expect(page.locator("#todo-badge")).to_have_text("1")

    assert errors == []
    db.session.expire_all()
    fresh = db.session.get(Request, req.id)
    assert (fresh.current_role, fresh.current_assignee.username) == ("org_dept", "orgdept2")
