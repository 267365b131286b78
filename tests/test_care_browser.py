"""In headless Chromium, CSRF on (issue 10 §1, §2): the branch secretary proposes a member for the
困难党员台账 with a supporting file; the secondary unit confirms it through the app's dialog-free
form, and the entry carries its review date; the secretary then records a visit from the 走访名单
and it shows as done, and in the member's 帮扶历史."""
import os
from datetime import date

from dangjian.care.models import EntryState, RegistryEntry, Visit
from dangjian.extensions import db
from dangjian.timeutil import local_today
from tests.browser_support import chromium, live_server
from tests.test_browser import Session

SHOTS = os.environ.get("H10_SCREENSHOTS")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde" \
      b"\x00\x00\x00\x0cIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"


def _shot(page, name):
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, name), full_page=True)


def test_a_registry_entry_proposed_and_confirmed_and_a_visit_recorded(app, org, tmp_path):
    from playwright.sync_api import expect

    app.config["WTF_CSRF_ENABLED"] = True
    old = org.member2.member
    old.joined_party_on = date(1960, 3, 1)  # 老党员: due a visit at every occasion
    db.session.commit()
    photo = tmp_path / "证明.png"
    photo.write_bytes(PNG)
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 1000}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("secretary")
        s.nav("关怀帮扶")
        page.get_by_role("link", name="申报困难党员").click()
        page.get_by_label("党员").select_option(label=f"王喆（{org.member.member.staff_no}，会计学院教工第一党支部）")
        page.get_by_label("生活困难").check()
        page.get_by_label("因病致困").check()
        page.get_by_label("困难情况").fill("爱人长期患病住院，家庭月收入低于当地最低生活保障标准。")
        page.get_by_label("证明材料").set_input_files(str(photo))
        _shot(page, "care-propose.png")
        page.get_by_role("button", name="提交申报").click()
        expect(page.get_by_text("已申报王喆列入困难党员台账，待二级党组织确认")).to_be_visible()
        expect(page.locator("#entry-state")).to_have_text("待确认")
        s.logout()

        s.login("secondary")
        s.nav("关怀帮扶")
        page.locator("#registry-table").get_by_role("link", name="王喆").click()
        expect(page.locator("#entry-situation")).to_contain_text("爱人长期患病住院")
        expect(page.get_by_text("证明.png")).to_be_visible()
        page.locator("#form-confirm").get_by_label("意见（可不填）").fill("经核实，情况属实。")
        page.get_by_role("button", name="确认", exact=True).click()
        expect(page.locator("#entry-state")).to_have_text("在册")
        expect(page.locator("#review-due")).to_contain_text(f"{local_today().year + 1}-")
        _shot(page, "care-entry.png")
        s.logout()

        s.login("secretary")
        s.nav("关怀帮扶")
        page.get_by_role("link", name="七一/春节走访名单").click()
        row = page.locator("#roster-table tr", has_text="张堃")
        row.get_by_role("link", name="登记走访").click()
        page.get_by_label("走访人").fill("李书记、赵支委")
        page.get_by_label("走访情况").fill("老人身体尚好，希望支部多组织老同志活动。")
        _shot(page, "care-visit-form.png")
        page.get_by_role("button", name="保存走访记录").click()
        expect(page.get_by_text("已登记对张堃的走访")).to_be_visible()
        page.get_by_role("link", name="帮扶历史").click()
        expect(page.locator("#history")).to_contain_text("走访慰问")
        expect(page.locator("#history")).to_contain_text("李书记、赵支委")
        page.goto(f"{base}/care/roster")
        expect(page.locator("#roster-table tr", has_text="张堃")).to_contain_text("已走访")
        _shot(page, "care-roster.png")

    assert errors == []
    db.session.expire_all()
    entry = db.session.query(RegistryEntry).one()
    assert (entry.state, entry.confirmed_by_id, len(entry.files)) == (EntryState.CONFIRMED, org.secondary.id, 1)
    assert db.session.query(Visit).one().visitors == "李书记、赵支委"
