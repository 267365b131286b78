"""预览 in headless Chromium: the branch secretary opens 处理 in 待办, reads the 困难情况 there, and
clicks 预览 on a PDF and on an image. Each opens in a new tab and is displayed (Chromium's PDF viewer,
the image itself), never downloaded, under the sandboxing CSP of the preview response."""
import io
import os

from PIL import Image

from tests.browser_support import chromium, live_server
from tests.factories import new_waiver
from tests.test_browser import Session, small_pdf
from tests.test_inline_preview import attach

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"  # Chromium's PDF viewer


def test_pdf_and_image_previews_open_in_the_browser_from_the_todo_panel(app, org, redis_conn, tmp_path):
    from playwright.sync_api import expect

    req = new_waiver(org.member, hardship_description="爱人患病住院，需长期透析治疗。")
    pdf = attach(req, org.member, small_pdf(tmp_path / "p.pdf").read_bytes(), "困难证明.pdf", "application/pdf")
    buf = io.BytesIO()
    Image.new("RGB", (120, 80), (200, 30, 30)).save(buf, "PNG")
    attach(req, org.member, buf.getvalue(), "病历照片.png", "image/png")
    downloads = []

    with live_server(app) as base, chromium(tmp_path / "chromium-profile") as context:
        context.on("page", lambda p: p.on("download", lambda d: downloads.append(d.suggested_filename)))
        page = context.pages[0] if context.pages else context.new_page()
        page.on("download", lambda d: downloads.append(d.suggested_filename))
        Session(page, base).login("secretary")

        card = page.locator(f"#inbox-item-{req.id}")
        card.get_by_role("button", name="处理").click()
        panel = card.locator(f"#panel-{req.id}")
        expect(panel).to_contain_text("爱人患病住院，需长期透析治疗。")
        expect(panel.get_by_role("button", name="同意", exact=True)).to_be_visible()
        if os.environ.get("FEEDBACK_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["FEEDBACK_SCREENSHOTS"], "todo-panel.png"), full_page=True)

        with context.expect_page() as tab:
            panel.get_by_role("link", name="预览 困难证明.pdf").click()
        viewer = tab.value
        viewer.wait_for_load_state()
        assert viewer.url.endswith(f"/attachments/{pdf.id}/preview")
        assert viewer.evaluate("document.contentType") == "application/pdf"
        # Chromium shows a PDF through its built-in viewer extension, in a frame of the tab.
        for _ in range(50):
            if any(f.url.startswith(PDF_VIEWER) for f in viewer.frames):
                break
            viewer.wait_for_timeout(100)
        assert any(f.url.startswith(PDF_VIEWER) for f in viewer.frames), [f.url for f in viewer.frames]
        viewer.close()

        with context.expect_page() as tab:
            panel.get_by_role("link", name="预览 病历照片.png").click()
        image = tab.value
        image.wait_for_load_state()
        assert image.evaluate("document.contentType") == "image/png"
        assert image.evaluate("[document.images[0].naturalWidth, document.images[0].naturalHeight]") == [120, 80]
        image.close()

    assert downloads == []
