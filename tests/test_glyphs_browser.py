"""In headless Chromium (issue 9 §7): a member types an emoji into 困难情况说明, submits, and reads
next to the field which character cannot be printed; with it removed (and rare name characters
kept) the application goes through."""
import os
import re

from sqlalchemy import func, select

from dangjian.extensions import db
from dangjian.models import Request
from tests.browser_support import chromium, live_server
from tests.test_browser import Session, small_pdf

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_an_unprintable_character_is_pointed_out_at_the_field(app, org, tmp_path):
    from playwright.sync_api import expect

    evidence = small_pdf(tmp_path / "困难证明.pdf")
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1100}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)
        s.login("member")
        page.goto(f"{base}/dues-waivers/new")
        page.get_by_text("部分减交", exact=True).click()
        page.get_by_label("每月减免金额").fill("20.00")
        page.get_by_label("起始年月").fill("2026-01")
        page.get_by_label("截止年月").fill("2026-06")
        page.get_by_label("困难类别").select_option(label="生活困难")
        page.get_by_label("困难情况说明").fill("爱人长期患病住院😀，家庭收入明显下降，生活较为困难。")
        page.get_by_label("证明材料").set_input_files(evidence)
        page.get_by_role("button", name="提交申请").click()
        feedback = page.locator(".invalid-feedback", has_text="无法打印")
        expect(feedback).to_have_text('困难情况说明中的 "😀" 无法打印，请删除或改用文字描述')
        expect(page.get_by_label("困难情况说明")).to_have_value("爱人长期患病住院😀，家庭收入明显下降，生活较为困难。")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "glyph-refused.png"), full_page=True)
        assert db.session.scalar(select(func.count(Request.id))) == 0

        page.get_by_label("困难情况说明").fill("爱人周珺玥长期患病住院，家庭收入明显下降，生活较为困难。")
        page.get_by_label("证明材料").set_input_files(evidence)
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(re.compile(r"/requests/\d+$"))
        expect(page.locator("#request-main")).to_contain_text("爱人周珺玥长期患病住院")
    assert errors == []
