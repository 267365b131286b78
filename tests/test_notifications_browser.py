"""In headless Chromium, CSRF on (issue 7 §1): the secondary unit approves a 党费减免; the school
committee member, whose 待办 it now is, sees the bell's count, opens the 消息 list, reads the message
and goes to the request; the e-mail arrives at the real SMTP server once the RQ job has run."""
import os

from dangjian.extensions import db
from tests.browser_support import chromium, confirm_dialog, live_server
from tests.factories import approve, new_waiver
from tests.smtp_fixtures import mail, smtp_capture  # noqa: F401  (fixtures)
from tests.smtp_support import body_of
from tests.test_browser import Session
from tests.test_document_jobs import run_worker

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_an_approval_rings_the_next_holders_bell_and_sends_an_e_mail(app, org, mail, tmp_path):
    from playwright.sync_api import expect

    capture, token = mail
    req = new_waiver(org.member)
    approve(req, org.secretary)
    number, request_id = req.number, req.id
    db.session.remove()
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        s = Session(page, base)

        s.login("secondary")
        page.goto(f"{base}/requests/{request_id}")
        page.get_by_role("button", name="同意", exact=True).click()
        confirm_dialog(page)
        expect(page.get_by_text(f"已同意：{number}")).to_be_visible()
        s.logout()

        s.login("school")
        bell = page.get_by_role("link", name="消息，1条未读")
        expect(bell).to_be_visible()
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "bell.png"))
        bell.click()
        page.wait_for_url(f"{base}/messages")
        item = page.locator(".dj-msg").first
        expect(item).to_contain_text(f"党费减免申请 {number} 待您处理（校党委审批）")
        expect(item).to_contain_text("待办")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "messages.png"), full_page=True)
        item.get_by_role("button", name="标为已读").click()
        expect(item).to_contain_text("已读")
        expect(page.get_by_role("link", name="消息，没有未读")).to_be_visible()
        item.get_by_role("button", name=f"党费减免申请 {number} 待您处理（校党委审批）").click()
        page.wait_for_url(f"{base}/requests/{request_id}")
        expect(page.get_by_role("button", name="同意", exact=True)).to_be_visible()

    assert errors == []
    assert run_worker()  # the notifications job, on real Redis
    [msg] = capture.messages(f"school.{token}")
    assert msg["Subject"] == f"【党建关怀】待办：党费减免申请 {number}"
    assert f"/requests/{request_id}" in body_of(msg)
