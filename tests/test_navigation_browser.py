"""The main navigation in headless Chromium (issue 10): 纪委, who has the most items, at 1280 px and
390 px. The modules' menu 「党建工作」 opens and closes by mouse and by keyboard, also after a boosted
(htmx) page change; the current module's item carries aria-current="page"; no item of the bar
overlaps another, the bell or the personal menu; the phone's bottom bar holds at most five items;
and axe-core finds nothing serious or critical on the modules' pages, menus open or closed."""
import os
from pathlib import Path

from dangjian.extensions import db
from tests.browser_support import chromium, live_server
from tests.factories_care import registered
from tests.test_accessibility_browser import _login, _report, axe_violations

SHOTS = os.environ.get("NAV_SCREENSHOTS")  # a folder to keep the screenshots in

# Every visible box of the top bar and of the navigation bar, and the pairs that overlap.
MEASURE = """() => {
  const boxes = [];
  document.querySelectorAll('.dj-brand, .dj-nav-bar > li > .dj-nav-link, .dj-bell, .dj-user-menu-toggle, .dj-btn-logout')
    .forEach(el => {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) return;
      const label = (el.getAttribute('aria-label') || el.innerText || '').trim().replace(/\\s+/g, ' ');
      boxes.push({label, left: r.left, right: r.right, top: r.top, bottom: r.bottom,
                  clipped: !el.classList.contains('dj-bell') && el.scrollWidth > el.clientWidth + 1});
    });
  const overlaps = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    if (a.left < b.right - .5 && b.left < a.right - .5 && a.top < b.bottom - .5 && b.top < a.bottom - .5)
      overlaps.push(a.label + ' × ' + b.label);
  }));
  const outside = boxes.filter(b => b.left < 0 || b.right > innerWidth || b.bottom > innerHeight).map(b => b.label);
  return {overlaps, outside, clipped: boxes.filter(b => b.clipped).map(b => b.label)};
}"""


def _bar_items(page) -> list[str]:
    """The labels of the bar as shown (the long or the short one, without the 待办 count)."""
    return page.evaluate("""() => [...document.querySelectorAll('.dj-nav-bar > li > .dj-nav-link')]
      .filter(a => a.getClientRects().length)
      .map(a => [...a.querySelectorAll('.dj-nav-long, .dj-nav-short')].find(s => s.getClientRects().length).textContent)""")


def test_the_navigation_menu_by_mouse_and_keyboard_without_overlaps_and_accessible(app, org, tmp_path):
    from playwright.sync_api import expect

    registered(org.member.member)
    db.session.commit()
    errors, found = [], []

    def shot(page, name):
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))

    def axe(page, where):
        found.append((where, axe_violations(page, base)))

    with live_server(app) as base, chromium(viewport={"width": 1280, "height": 900}) as context:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        _login(page, base, "supervisor")
        nav = page.get_by_role("navigation", name="主导航")

        # --- 1280 px: everything in one row, nothing on top of anything -------------------------
        m = page.evaluate(MEASURE)
        assert m["overlaps"] == [] and m["outside"] == [] and m["clipped"] == [], m
        assert _bar_items(page)[:4] == ["待办", "已办", "我发起的", "发起申请"]
        assert "审计日志" in _bar_items(page) and "组织与党员" in _bar_items(page)

        # The mouse: 党建工作 opens, shows the modules, and closes on a click elsewhere.
        work = nav.get_by_role("button", name="党建工作")
        expect(work).to_have_attribute("aria-expanded", "false")
        work.click()
        expect(work).to_have_attribute("aria-expanded", "true")
        menu = page.locator("#dj-menu-work")
        for label in ("关怀帮扶", "谈心谈话", "结对帮扶", "党务公开"):
            expect(menu.get_by_role("link", name=label)).to_be_visible()
        axe(page, "menu open (1280)")
        shot(page, "menu-open-1280")
        page.locator("main h1").click()
        expect(work).to_have_attribute("aria-expanded", "false")
        expect(menu).to_be_hidden()

        # The keyboard: Enter opens, the arrows move, Escape closes and gives the focus back.
        work.focus()
        page.keyboard.press("Enter")
        expect(work).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("ArrowDown")
        expect(menu.get_by_role("link", name="关怀帮扶")).to_be_focused()
        page.keyboard.press("ArrowDown")
        expect(menu.get_by_role("link", name="谈心谈话")).to_be_focused()
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")  # wraps round to the last
        last = menu.get_by_role("link").last
        expect(last).to_be_focused()
        page.keyboard.press("Escape")
        expect(work).to_have_attribute("aria-expanded", "false")
        expect(work).to_be_focused()
        page.keyboard.press(" ")
        expect(work).to_have_attribute("aria-expanded", "true")
        page.keyboard.press("Escape")
        page.keyboard.press("ArrowDown")  # opens on the first item
        expect(menu.get_by_role("link", name="关怀帮扶")).to_be_focused()
        page.keyboard.press("End")
        expect(last).to_be_focused()
        page.keyboard.press("Home")
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")  # 谈心谈话, a boosted page change
        page.wait_for_url(f"{base}/talks")
        expect(page.locator("h1")).to_have_text("谈心谈话")

        # The page swapped in by htmx: the menu still works, and marks where we are.
        work = nav.get_by_role("button", name="党建工作")
        expect(work).to_have_class("dj-nav-link dj-menu-button active")
        work.click()
        expect(page.locator("#dj-menu-work").get_by_role("link", name="谈心谈话")).to_have_attribute("aria-current", "page")
        expect(page.locator('[aria-current="page"]:visible')).to_have_count(2)  # the item, and the tab 谈话记录
        for _ in range(menu.get_by_role("link").count() + 1):  # through the links and out: it closes
            page.keyboard.press("Tab")
        expect(work).to_have_attribute("aria-expanded", "false")

        for url in ("/care/registry", "/care/visits", "/care/roster", f"/care/members/{org.member.member_id}/history",
                    "/talks", "/talks/compliance", "/pairing", "/pairing/volunteers", "/openness/"):
            page.goto(base + url)
            expect(page.locator("#dj-menu-work a[aria-current=page]")).to_have_count(1)
            axe(page, f"{url} (1280)")

        # --- 390 px: a bottom bar of five, the rest under 更多, opening upwards --------------------
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(base + "/pairing")
        m = page.evaluate(MEASURE)
        assert m["overlaps"] == [] and m["outside"] == [] and m["clipped"] == [], m
        assert _bar_items(page) == ["待办", "已办", "我发起", "发起", "更多"]
        more = nav.get_by_role("button", name="更多")
        expect(more).to_have_class("dj-nav-link dj-menu-button active")  # 结对帮扶 is inside
        more.click()
        sheet = page.locator("#dj-menu-more")
        for label in ("关怀帮扶", "谈心谈话", "结对帮扶", "党务公开", "申请查询", "管理", "组织与党员", "审计日志"):
            expect(sheet.get_by_role("link", name=label)).to_be_in_viewport()
        expect(sheet.get_by_role("link", name="结对帮扶")).to_have_attribute("aria-current", "page")
        box, bar = sheet.bounding_box(), nav.bounding_box()
        assert box["y"] + box["height"] <= bar["y"] + 1  # above the bar, not under it
        axe(page, "更多 open (390)")
        shot(page, "more-open-390")
        page.keyboard.press("Escape")
        expect(sheet).to_be_hidden()
        for url in ("/care/registry", "/talks/compliance", "/pairing/volunteers"):
            page.goto(base + url)
            axe(page, f"{url} (390)")

    assert errors == []
    assert not any(v for _, v in found), _report(found)
