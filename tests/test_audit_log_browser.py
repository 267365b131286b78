"""纪委 reads the audit log in headless Chromium: filters by action and request number, opens the
request from the log, exports the filtered view, and reads it on a phone without sideways
scrolling. Set AUDIT_SCREENSHOTS=dir to keep screenshots (desktop and phone width)."""
import io
import os
import re
from pathlib import Path

from openpyxl import load_workbook

from dangjian import audit
from dangjian.extensions import db
from tests.browser_support import chromium, live_server
from tests.factories import approve, new_waiver
from tests.test_browser import Session


def _shot(page, name):
    folder = os.environ.get("AUDIT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_the_supervisor_filters_opens_and_exports_the_log(app, org, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member)
    approve(req, org.secretary, opinion="经支委会讨论，同意减免")
    other = new_waiver(org.member_b)
    with app.test_request_context():
        audit.record("member.reveal_id_number", org.member.member, user=org.org_dept_user,
                     name="王喆", staff_no=org.member.member.staff_no, reason="核对困难党员身份信息")
        db.session.commit()
    errors = []
    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.set_viewport_size({"width": 1280, "height": 900})
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        s = Session(page, base)
        page.goto(base + "/login")
        s.login("supervisor")
        s.nav("审计日志")
        expect(page.get_by_role("heading", name="审计日志")).to_be_visible()
        table = page.locator("#audit-table")
        expect(table).to_contain_text("查看完整身份证号")
        expect(table).to_contain_text("核对困难党员身份信息")
        _shot(page, "audit-desktop")

        page.get_by_label("操作", exact=True).select_option(label="同意")
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url(re.compile(r"action=request\.approve"))
        expect(table.locator("tbody tr")).to_have_count(1)
        expect(table).to_contain_text("李书记（secretary）")

        page.get_by_label("操作", exact=True).select_option(value="")
        page.get_by_label("对象", exact=True).fill(req.number)
        page.get_by_role("button", name="筛选").click()
        page.wait_for_url(re.compile(r"object=DF"))
        expect(table.locator("tbody tr")).to_have_count(3)
        expect(page.locator("main")).not_to_contain_text(other.number)
        _shot(page, "audit-filtered-desktop")

        with page.expect_download() as download:
            page.get_by_role("link", name="导出Excel").click()
        data = Path(download.value.path()).read_bytes()
        rows = list(load_workbook(io.BytesIO(data), read_only=True)["审计日志"].iter_rows(values_only=True))
        assert [r[3] for r in rows[1:]] == ["同意", "提交申请", "新建申请"]
        assert download.value.suggested_filename.startswith("审计日志_")

        page.get_by_role("link", name=req.number).first.click()
        page.wait_for_url(re.compile(rf"/requests/{req.id}$"))
        expect(page.locator("main")).to_contain_text(req.number)

        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(base + "/audit/")
        expect(page.locator("#audit-table")).to_contain_text("查看完整身份证号")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        _shot(page, "audit-phone")
    assert errors == []
