"""On a phone (390 px), every list of the inbox is reachable (issue 7 §2): the bottom bar holds 待办,
已办 and 我发起的, and the inbox's own tabs stay on screen under the title, so 抄送我的 — which is only
there — is one tap away. A member copied on a request taps it and finds the request. The filters
above the list fit the phone's width."""
from tests.browser_support import chromium, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def test_a_member_reaches_cc_by_tapping_on_a_phone(app, org, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    approve(req, org.secretary, cc=[org.member2.id])
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", **PHONE) as context:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        Session(page, base).login("member2")

        tabs = page.get_by_role("navigation", name="审批分类")
        for name in ("待办", "已办", "我发起的", "抄送我的"):
            link = tabs.get_by_role("link", name=name)
            expect(link).to_be_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390, f"{name} is off screen: {box}"
        # The filters fit the phone: the two dates side by side, each wide enough to read a date.
        start, end = (page.get_by_label(name, exact=True).bounding_box() for name in ("提交日期", "至"))
        assert abs(start["y"] - end["y"]) < 2 and min(start["width"], end["width"]) >= 110, (start, end)
        tabs.get_by_role("link", name="抄送我的").tap()
        page.wait_for_url(f"{base}/inbox/cc")
        expect(page.get_by_role("heading", level=1)).to_have_text("抄送我的")
        expect(page.locator(f"#inbox-item-{req.id}")).to_contain_text("王喆的党费减免申请")
        expect(tabs.get_by_role("link", name="抄送我的")).to_have_attribute("aria-current", "page")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scroll of the page
    assert errors == []
