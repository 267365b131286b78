"""In headless Chromium, CSRF on (issue 8 §2): the secondary unit's approver opens a request in 待办,
searches for 张堃 in the 抄送 box of the 处理 panel, picks her, and approves through the app's dialog;
张堃 then finds the request under 抄送我的, marked 未读, opens it read-only without the hardship text,
and the mark is gone."""
import os

from dangjian.extensions import db
from dangjian.models import RequestCopy, RequestState
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_an_approver_copies_a_person_who_finds_it_under_cc(app, org, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    approve(req, org.secretary, opinion="经支委会研究，同意减免。")
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("secondary")
        card = page.locator(f"#inbox-item-{req.id}")
        card.get_by_role("button", name="处理").click()
        panel = card.locator(".dj-inbox-panel")
        expect(panel.get_by_role("group", name="抄送")).to_be_visible()
        panel.get_by_label("搜索抄送人").fill("张堃")
        option = panel.get_by_role("button", name="张堃")
        expect(option).to_be_visible()
        option.click()
        expect(panel.locator(".dj-cc-chip")).to_contain_text("张堃")
        expect(panel.locator(".dj-cc-option")).to_have_count(0)  # the results close once she is picked
        expect(panel.get_by_label("搜索抄送人")).to_have_value("")
        panel.get_by_label("意见", exact=True).fill("情况属实，同意上报。")
        _shot(page, "cc-picker.png")
        panel.get_by_role("button", name="同意", exact=True).click()
        assert confirm_dialog(page) == "确定同意该申请吗？"
        expect(card).to_contain_text("已同意")
        s.logout()

        s.login("member2")
        page.get_by_role("navigation", name="审批分类").get_by_role("link", name="抄送我的").click()
        page.wait_for_url(f"{base}/inbox/cc")
        item = page.locator(f"#inbox-item-{req.id}")
        expect(item).to_contain_text("王喆的党费减免申请")
        expect(item.locator(".dj-cc-unread")).to_have_text("未读")
        _shot(page, "cc-list.png")
        item.get_by_role("link", name="查看").click()
        expect(page.get_by_role("note")).to_contain_text("此申请抄送给您（陈组织员同意时抄送），仅供查看")
        expect(page.get_by_text("抄送人员不查看困难情况说明")).to_be_visible()
        expect(page.get_by_role("button", name="同意", exact=True)).to_have_count(0)
        _shot(page, "cc-request.png")
        page.get_by_role("link", name="抄送我的").first.click()
        expect(page.locator(f"#inbox-item-{req.id} .dj-cc-unread")).to_have_count(0)

    assert errors == []
    db.session.expire_all()
    copy = db.session.query(RequestCopy).filter_by(request_id=req.id).one()
    assert (copy.user_id, copy.added_by_id, copy.read_at is not None) == (org.member2.id, org.secondary.id, True)
    assert db.session.get(type(req), req.id).state is RequestState.PENDING  # on to 校党委
