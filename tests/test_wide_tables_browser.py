"""On a phone (390 px, Chromium), a wide table scrolls sideways inside its box and the page itself
never does; a shadow at the edge shows there is more that way (issue 7 §5, "scroll with a
visible cue"). The 慰问金标准 page's 调整记录 has seven columns that keep to one line."""
import io

from PIL import Image

from tests.browser_support import chromium, live_server
from tests.factories_condolence import setup_settings
from tests.test_browser import Session

PHONE = {"width": 390, "height": 844}


def _edge_shade(png: bytes) -> tuple[float, float]:
    """Mean darkness (0 white … 255 black) of the leftmost and rightmost 4 pixel columns."""
    img = Image.open(io.BytesIO(png)).convert("L")
    w, h = img.size

    def darkness(x0, x1):
        px = [img.getpixel((x, y)) for x in range(x0, x1) for y in range(h)]
        return 255 - sum(px) / len(px)
    return darkness(0, 4), darkness(w - 4, w)


def test_a_wide_table_scrolls_inside_its_box_with_a_cue(app, org):
    from playwright.sync_api import expect

    setup_settings(org)  # 组织部 has set every standard: nine rows of 调整记录
    with live_server(app) as base, chromium(viewport=PHONE, is_mobile=True, has_touch=True) as context:
        page = context.new_page()
        Session(page, base).login("orgdept")
        page.goto(f"{base}/condolence/standards")
        box = page.locator(".table-responsive", has=page.locator("th", has_text="调整时间"))
        table = box.locator("table")
        expect(table).to_be_attached()
        box.scroll_into_view_if_needed()

        sizes = box.evaluate("""b => ({box: b.clientWidth, content: b.scrollWidth, overflow: getComputedStyle(b).overflowX,
                                      page: document.documentElement.scrollWidth, viewport: window.innerWidth})""")
        assert sizes["content"] > sizes["box"] + 100, sizes  # the table is wider than the phone …
        assert sizes["overflow"] == "auto"
        assert sizes["page"] <= sizes["viewport"], sizes  # … and the page does not scroll sideways

        left, right = _edge_shade(box.screenshot())
        assert right > left + 4, (left, right)  # at the start: a shadow on the right only

        # A sideways swipe (here a horizontal wheel) over the table moves the table, not the page.
        b = box.bounding_box()
        page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2)
        page.mouse.wheel(sizes["content"], 0)
        page.wait_for_function("b => b.scrollLeft + b.clientWidth >= b.scrollWidth - 1", arg=box.element_handle())
        assert page.evaluate("window.scrollX") == 0
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        expect(table.locator("th", has_text="说明")).to_be_in_viewport()

        left, right = _edge_shade(box.screenshot())
        assert left > right + 4, (left, right)  # at the end: the shadow has moved to the left
