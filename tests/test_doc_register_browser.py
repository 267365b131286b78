"""In headless Chromium, CSRF on (issue 9 §2): 组织部 opens 管理 → 文号登记簿, narrows it to one
series, and voids a number with a reason through the app's confirm dialog; 取消 first changes
nothing. The register keeps the number, marked 已作废 with who and why."""
import os
from datetime import date

from sqlalchemy import select

from dangjian.documents import numbers
from dangjian.extensions import db
from dangjian.models import DocKind, DocNumber, OrgKind
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_组织部_voids_a_number_in_the_browser(app, org, tmp_path):
    from playwright.sync_api import expect

    year = date.today().year
    numbers.issue(OrgKind.SCHOOL, DocKind.REPLY, "关于同意王喆同志减交党费的批复")
    numbers.issue(OrgKind.SCHOOL, DocKind.REPLY, "关于同意张堃同志免交党费的批复")
    numbers.issue(OrgKind.ORG_DEPT, DocKind.NOTICE, "关于核定会计学院教工第一党支部补贴的通知")
    db.session.commit()
    number = f"西财党复〔{year}〕2号"
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("orgdept")
        page.goto(f"{base}/manage")
        page.get_by_role("link", name="文号登记簿").click()
        expect(page.get_by_text("共 3 个文号")).to_be_visible()
        page.get_by_label("发文机关与文种").select_option(label="校党委 · 批复")
        page.get_by_role("button", name="筛选").click()
        expect(page.get_by_text("共 2 个文号")).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "register.png"), full_page=True)

        page.locator("#register-table tr", has_text=number).get_by_role("link", name="作废").click()
        expect(page.get_by_role("heading", name=f"作废文号 {number}")).to_be_visible()
        page.get_by_label("作废原因").fill("文件内容有误，已重新印发")
        page.get_by_role("button", name="作废", exact=True).click()
        assert confirm_dialog(page, "取消").startswith(f"确定作废文号 {number} 吗？")
        db.session.expire_all()
        assert db.session.scalars(select(DocNumber).where(DocNumber.number == number)).one().voided_at is None

        page.get_by_role("button", name="作废", exact=True).click()
        confirm_dialog(page)
        expect(page.get_by_text(f"已作废文号 {number}")).to_be_visible()
        row = page.locator("#register-table tr", has_text=number)
        expect(row).to_contain_text("已作废")
        expect(row).to_contain_text("原因：文件内容有误，已重新印发")
        expect(row).to_contain_text("刘组织部")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "register-voided.png"), full_page=True)

    assert errors == []
    db.session.expire_all()
    entry = db.session.scalars(select(DocNumber).where(DocNumber.number == number)).one()
    assert (entry.void_reason, entry.voided_by_id) == ("文件内容有误，已重新印发", org.org_dept_user.id)
