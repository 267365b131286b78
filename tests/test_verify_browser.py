"""In headless Chromium, signed out, CSRF on (issue 9 §5): a reader scans a PDF's QR code and sees the
document stands; uploads the PDF they were forwarded and sees it is the archived original; types the
code from a paper copy, in lower case, and finds the same document."""
import os

from dangjian.documents import codes
from tests.browser_support import chromium, live_server
from tests.test_document_jobs import approved_request, archived_bytes, document_of, run_worker

SHOTS = os.environ.get("H10_SCREENSHOTS")  # a folder to keep the screenshots in


def test_a_reader_without_an_account_verifies_a_pdf(app, org, tmp_path, redis_conn):
    from playwright.sync_api import expect

    req = approved_request(org)
    run_worker()
    doc = document_of(req.id)
    pdf = tmp_path / "收到的审批表.pdf"
    pdf.write_bytes(archived_bytes(doc))
    errors = []
    with live_server(app) as base, chromium(tmp_path / "profile", viewport={"width": 1280, "height": 900}) as context:
        page = context.pages[0] if context.pages else context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        page.goto(f"{base}/verify/{doc.verification_code}")  # what the QR code opens
        result = page.locator("#verify-result")
        expect(result.locator(".dj-verify-badge")).to_have_text("有效")
        expect(result).to_contain_text("党费减免审批表")
        expect(result).to_contain_text(doc.sha256)
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "verify-code.png"), full_page=True)

        page.get_by_label("收到的电子文件").set_input_files(str(pdf))
        page.get_by_role("button", name="核验", exact=True).click()
        expect(result).to_contain_text("文件真实：与存档文件完全一致")
        if SHOTS:
            page.screenshot(path=os.path.join(SHOTS, "verify-upload.png"), full_page=True)

        page.get_by_label("验证码").fill(codes.display(doc.verification_code).lower())
        page.get_by_role("button", name="查询").click()
        expect(page).to_have_url(f"{base}/verify/{doc.verification_code}")
        expect(result.locator(".dj-verify-badge")).to_have_text("有效")
        assert "王喆" not in page.content()

    assert errors == []
