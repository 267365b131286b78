"""In headless Chromium: 组织部 finds 文档归档 under 管理, narrows the year to one unit, and downloads
the ZIP, whose manifest lists the files it holds: the 审批表 and the 批复 of that unit's one
approved waiver; then voids the 批复, and its 文号 is void in the register too."""
import csv
import io
import os
import zipfile

from tests.browser_support import chromium, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session
from tests.test_document_jobs import approved_request, run_worker

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_org_dept_browses_the_archive_and_exports_a_unit(app, org, redis_conn, tmp_path):
    from playwright.sync_api import expect

    first = approved_request(org)
    second = new_waiver(org.member_b)
    for user in (org.secretary_b, org.secondary_b, org.school_user):
        approve(second, user)
    assert run_worker()
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("orgdept")
        page.goto(f"{base}/manage")
        page.get_by_role("link", name="文档归档").click()
        table = page.locator("#archive-table")
        expect(table).to_contain_text(first.number)
        expect(table).to_contain_text(second.number)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "archive.png"), full_page=True)

        page.get_by_label("党组织（含下级）").select_option(str(org.sec_b.id))
        page.get_by_role("button", name="查询").click()
        expect(page.locator("#archive-summary")).to_have_text("共 2 个文件。")
        expect(table).not_to_contain_text(first.number)
        with page.expect_download() as download:
            page.locator("#archive-export").click()
        data = open(download.value.path(), "rb").read()

        # 作废 the 批复: a page says its 文号 goes with it, the confirm dialog asks, and the list comes
        # back with the same filter, the 批复 已作废 there and in the 文号登记簿.
        reply_row = table.locator("tr", has_text="批复")
        number = reply_row.locator("td").first.inner_text()
        reply_row.get_by_role("link", name="作废").click()
        expect(page.locator("#archive-void-effect")).to_contain_text(f"文号 {number} 将在文号登记簿中一并作废")
        page.get_by_label("作废原因").fill("批复日期有误，已重新印发")
        page.get_by_role("button", name="作废", exact=True).click()
        page.locator("dialog[open] [data-dj-confirm=ok]").click()
        expect(page.locator("body")).to_contain_text(f"文号 {number} 已在文号登记簿中一并作废")
        expect(page.locator("#archive-summary")).to_have_text("共 2 个文件。")
        expect(table.locator("tr", has_text="批复")).to_contain_text("已作废")
        page.goto(f"{base}/documents/numbers/?status=void")
        expect(page.locator("main")).to_contain_text(number)

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
        assert [r["申请编号"] for r in rows] == [second.number, second.number]
        assert sorted(r["文号"] != "" for r in rows) == [False, True]  # the 批复 has its 文号, the form none
        assert all(zf.read(r["文件"]).startswith(b"%PDF-") for r in rows)
    assert errors == []
