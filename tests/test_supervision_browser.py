"""In headless Chromium (issue 10 §9): 纪委 opens 监督统计 from 管理 and sees the figures this test
created — requests, money paid, an overdue 整改任务 — and the charts; narrows it to one unit; follows
the overdue figure to the task; downloads the export."""
import os

from dangjian.timeutil import local_today
from tests.browser_support import chromium, live_server
from tests.test_browser import Session
from tests.test_supervision_dashboard import world  # noqa: F401  (the fixture: a small world)

SHOTS = os.environ.get("H10_SCREENSHOTS")


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_jiwei_sees_the_figures_of_the_world_on_the_dashboard(app, world, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    org = world
    app.config["WTF_CSRF_ENABLED"] = True
    errors = []
    with live_server(app) as base, chromium(viewport={"width": 1280, "height": 1000}) as context:
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("supervisor")
        s.nav("管理")
        page.get_by_role("link", name="监督统计").click()
        expect(page.get_by_role("heading", name=f"中共测试大学委员会 · {local_today().year}年")).to_be_visible()
        expect(page.locator("#fig-requests")).to_have_text("6")
        expect(page.locator("#fig-spent")).to_have_text("¥800.00")
        overdue = page.locator(".dj-figure", has_text="整改任务逾期未完成")
        expect(overdue).to_have_class("dj-figure dj-figure-alert")
        expect(overdue.locator(".dj-figure-value")).to_have_text("1")
        bars = page.get_by_role("img", name=f"{local_today().year}年各单位申请数（件）")
        expect(bars).to_be_visible()
        expect(bars.locator("desc")).to_have_text("会计学院党委：3；经济学院党委：2；图书馆直属党支部：1")
        expect(page.locator("#chart-years")).to_be_visible()
        page.get_by_text("查看数据表").first.click()
        expect(page.locator("#units-table tr", has_text="会计学院党委")).to_contain_text("¥800.00")
        _shot(page, "supervision-dashboard.png")

        page.get_by_label("组织", exact=True).select_option(str(org.sec_a.id))
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#fig-requests")).to_have_text("3")
        expect(page.get_by_role("heading", name=f"会计学院党委 · {local_today().year}年")).to_be_visible()

        with page.expect_download() as download:
            page.get_by_role("link", name="导出Excel").click()
        assert download.value.suggested_filename.endswith(".xlsx")

        page.locator(".dj-figure", has_text="整改任务逾期未完成").get_by_role("link").click()
        row = page.locator("#tasks-table tr", has_text="会计学院教工第一党支部")
        expect(row).to_contain_text("已逾期 3 天")
        expect(page.locator("#tasks-table tbody tr")).to_have_count(1)
        _shot(page, "supervision-tasks.png")
    assert errors == []
