"""Feedback while people work: the approver who loses a race sees the request as it is now without
reloading (the step bar, state, timeline and 待办 badge are swapped out of band with the
「该申请已被处理」 panel), and every htmx request, boosted navigation included, shows the loading
bar and marks its target aria-busy while the answer is on its way. FEEDBACK_SCREENSHOTS=dir keeps
a screenshot of the bar."""
import os
import re

from dangjian.extensions import db
from dangjian.models import Request, RequestState
from tests.browser_support import chromium, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session

HX = {"HX-Request": "true"}
MEETING = {"meeting_type": "branch_committee", "meeting_date": "2026-01-05", "votes_for": "5",
           "votes_against": "0", "votes_abstain": "0"}


def oob(html, tag, element_id):
    """What the out-of-band element with that id carries (up to the next one), or None."""
    m = re.search(rf'<{tag}[^>]*id="{element_id}"[^>]*hx-swap-oob="[^"]+"[^>]*>', html)
    if not m:
        return None
    following = html.find("hx-swap-oob", m.end())
    return html[m.end():following if following != -1 else len(html)]


def _lost_race(app, org, auth, client, context):
    """The 党支部 step has two secretaries; 赵支委 approves first, 李书记 clicks 不同意 on the stale page."""
    req = new_waiver(org.member)
    approve(req, org.committee, opinion="经支委会讨论，情况属实，同意。")
    auth.login(org.secretary)
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "return", "version": "1", "context": context, "opinion": "请补充材料"})
    assert resp.status_code == 200
    assert "HX-Retarget" not in resp.headers  # the message lands in the approver's own panel
    db.session.expire_all()
    req = db.session.get(Request, req.id)
    assert (req.state, req.current_step, req.version) == (RequestState.PENDING, "secondary", 2)
    return req, resp.get_data(as_text=True)


def test_the_losing_approver_sees_the_step_bar_and_timeline_as_they_are_now(app, org, auth, client):
    req, html = _lost_race(app, org, auth, client, "page")
    assert "<html" not in html
    assert "该申请已被处理，现为「审批中」，当前环节：" in html and "以下为最新状态" in html
    assert 'name="action"' not in html  # no buttons left for a decision already taken

    head = oob(html, "section", "request-head")
    assert head is not None, "the step bar is not refreshed"
    assert re.search(r'class="dj-step is-done">.*?赵支委 · </span>已同意', head, re.S)
    current = re.search(r'<li class="dj-step is-current" aria-current="step">.*?</li>', head, re.S)
    assert current and req.current_step_label in current.group(0)
    assert "dj-state-main dj-state-pending" in head

    timeline = oob(html, "div", "request-timeline")
    assert timeline is not None and "经支委会讨论，情况属实，同意。" in timeline
    badge = re.search(r'<span id="todo-badge"[^>]*hx-swap-oob="true"[^>]*>\s*(\d+)\s*</span>', html)
    assert badge and badge.group(1) == "0"  # it left 李书记's 待办


def test_the_losing_approver_in_the_inbox_sees_the_card_state_and_badge(app, org, auth, client):
    req, html = _lost_race(app, org, auth, client, "inbox")
    assert "该申请已被处理，现为「审批中」" in html
    head = oob(html, "div", f"inbox-head-{req.id}")
    assert head is not None and "审批中" in head and req.title in head
    assert oob(html, "section", "request-head") is None  # no request page to refresh in the inbox
    badge = re.search(r'<span id="todo-badge"[^>]*hx-swap-oob="true"[^>]*>\s*(\d+)\s*</span>', html)
    assert badge and badge.group(1) == "0"


def test_a_validation_error_refreshes_nothing_out_of_band(app, org, auth, client):
    req = new_waiver(org.member)
    auth.login(org.secretary)
    resp = client.post(f"/requests/{req.id}/act", headers=HX,
                       data={"action": "reject", "version": "1", "context": "page", **MEETING})
    html = resp.get_data(as_text=True)
    assert "hx-swap-oob" not in html and 'name="action"' in html


def test_the_loading_bar_shows_while_an_answer_is_on_its_way(app, org, tmp_path):
    """The network is held (page.route) until the bar has been seen: no timing decides the result."""
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("secretary")
        bar = page.locator("#dj-progress")
        expect(bar).to_be_hidden()
        s.mark()

        # A boosted navigation: 待办 → 已办, held on the network.
        held = []
        page.route(re.compile(r"/inbox/done$"), lambda route: held.append(route))
        page.get_by_role("navigation", name="审批分类").get_by_role("link", name="已办").click()
        expect(bar).to_be_visible()
        expect(page.locator("body")).to_have_attribute("aria-busy", "true")
        expect(page.get_by_role("heading", level=1)).to_have_text("待办")  # the old page, still waiting
        if os.environ.get("FEEDBACK_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["FEEDBACK_SCREENSHOTS"], "loading-bar.png"))
        assert len(held) == 1
        held[0].continue_()
        expect(page.get_by_role("heading", level=1)).to_have_text("已办")
        expect(bar).to_be_hidden()
        expect(page.locator("body")).not_to_have_attribute("aria-busy", "true")
        s.assert_not_reloaded()  # it was htmx, not a page load

        # An htmx request into part of the page: the 处理 panel of a 待办 card.
        page.unroute(re.compile(r"/inbox/done$"))
        page.get_by_role("navigation", name="审批分类").get_by_role("link", name=re.compile("待办")).click()
        card = page.locator(f"#inbox-item-{req.id}")
        expect(card).to_be_visible()
        held.clear()
        page.route(re.compile(r"/panel\?context=inbox$"), lambda route: held.append(route))
        card.get_by_role("button", name="处理").click()
        expect(bar).to_be_visible()
        expect(page.locator(f"#panel-{req.id}")).to_have_attribute("aria-busy", "true")
        assert len(held) == 1
        held[0].continue_()
        expect(card.get_by_role("button", name="同意", exact=True)).to_be_visible()
        expect(bar).to_be_hidden()
        expect(page.locator(f"#panel-{req.id}")).not_to_have_attribute("aria-busy", "true")
    assert not errors, errors
