"""The roster import in headless Chromium, as 组织部 does it: download the member template, upload one
file with 3 secondary units, 10 branches and 200 members of which 5 rows are bad, see exactly those
5 errors, fix the file, upload it again and confirm (the browser's confirmation dialog is accepted).
CSRF is on; every request goes through the real pages."""
import os
import re
import shutil

from openpyxl import load_workbook
from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Member, Organization
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.import_support import MEMBER_HEADER, ORG_HEADER, member_row, write_xlsx

SHOTS = os.environ.get("IMPORT_SCREENSHOTS")  # a folder to keep the screenshots in (for looking at them)


def roster(path, bad: bool):
    orgs = [ORG_HEADER]
    for s in range(1, 4):
        orgs.append([f"S{s}", f"第{s}学院党委", "二级党委", "", "2001-07-01"])
    for b in range(1, 11):
        orgs.append([f"B{b:02d}", f"第{b}党支部", "教职工党支部", f"S{1 + b % 3}", "2002-07-01"])
    members = [MEMBER_HEADER] + [member_row(n, f"B{1 + n % 10:02d}") for n in range(1, 201)]
    if bad:
        members[10][MEMBER_HEADER.index("所在支部")] = "不存在的支部"
        members[20][MEMBER_HEADER.index("工号")] = members[19][MEMBER_HEADER.index("工号")]
        idn = members[30][MEMBER_HEADER.index("身份证号")]
        members[30][MEMBER_HEADER.index("身份证号")] = idn[:-1] + ("1" if idn[-1] != "1" else "2")
        members[40][MEMBER_HEADER.index("入党日期")] = "2005年13月1日"
        members[50][MEMBER_HEADER.index("月缴党费")] = "四十五"
    return write_xlsx(path, {"组织": orgs, "党员": members})


def test_roster_import_preview_errors_fix_and_confirm(app, org, tmp_path):
    from playwright.sync_api import expect

    bad = roster(tmp_path / "党员名册.xlsx", bad=True)
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as ctx:
        page = ctx.new_page()
        page.goto(base + "/login")
        page.get_by_label("账号").fill("orgdept")
        page.get_by_label("密码").fill("pw")
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/inbox/"))
        page.goto(base + "/org/import")

        section = page.locator("#import-members")
        with page.expect_download() as download:
            section.get_by_role("link", name="下载模板").click()
        template = tmp_path / "template.xlsx"
        download.value.save_as(template)
        assert {"组织", "党员", "说明"} <= set(load_workbook(template).sheetnames)

        section.locator("input[type=file]").set_input_files(str(bad))
        section.get_by_role("button", name="上传并预览").click()
        page.wait_for_url(re.compile(r"/org/import/[A-Za-z0-9_-]{32}"))
        expect(page.locator("[data-count=error]")).to_have_text("5")
        expect(page.locator("[data-count=new]")).to_have_text("208")  # 13 organizations + 195 members
        rows = page.locator("#import-table tbody tr")
        expect(rows).to_have_count(5)
        assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.row)")) == \
            sorted(f"党员:{n}" for n in (11, 21, 31, 41, 51))
        expect(page.locator("#import-table")).to_contain_text("所在支部「不存在的支部」不存在")
        expect(page.locator("#import-table")).to_contain_text("校验位不正确")
        expect(page.locator("#import-table")).to_contain_text("不是数字")
        expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
        page.screenshot(path=str(tmp_path / "preview-errors.png"), full_page=True)

        # Paging through the other rows with htmx: the table part only.
        page.get_by_role("link", name=re.compile("^新增")).click()
        expect(page.locator("#import-table tbody tr")).to_have_count(50)
        page.locator(".pagination").get_by_role("link", name="5", exact=True).click()
        expect(page.locator("#import-table tbody tr").first).to_have_attribute("data-row", re.compile(r"党员:\d+"))
        assert db.session.scalar(select(func.count()).select_from(Member).where(Member.staff_no.like("M%"))) == 0

        fixed = roster(tmp_path / "党员名册（修改后）.xlsx", bad=False)
        page.goto(base + "/org/import")
        section = page.locator("#import-members")
        section.locator("input[type=file]").set_input_files(str(fixed))
        section.get_by_role("button", name="上传并预览").click()
        page.wait_for_url(re.compile(r"/org/import/[A-Za-z0-9_-]{32}"))
        expect(page.locator("[data-count=error]")).to_have_text("0")
        expect(page.locator("[data-count=new]")).to_have_text("213")
        page.screenshot(path=str(tmp_path / "preview-ok.png"), full_page=True)
        dialogs = []
        page.get_by_role("button", name="确认导入").click()
        dialogs.append(confirm_dialog(page))
        expect(page.locator(".alert-success")).to_contain_text("党员：新增200人")
        assert dialogs and "确认导入" in dialogs[0]
        page.screenshot(path=str(tmp_path / "done.png"), full_page=True)

    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(Member).where(Member.staff_no.like("M%"))) == 200
    assert db.session.scalar(select(func.count()).select_from(Organization).where(Organization.code.isnot(None))) == 13
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "import.members")) == 1
    if SHOTS:
        os.makedirs(SHOTS, exist_ok=True)
        for name in ("preview-errors.png", "preview-ok.png", "done.png"):
            shutil.copy(tmp_path / name, os.path.join(SHOTS, name))
