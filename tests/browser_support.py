"""What a browser test needs around the app: a live server, a real `flask worker`, and Debian's
Chromium driven by Playwright (TECH-NOTES: never `playwright install`; no internet here)."""
from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Running as root, with no internet: without the networking flags Chromium keeps calling home.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
    "--lang=zh-CN",
]
ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def live_server(app):
    """The app on a free localhost port, served by werkzeug from a thread (one thread per request)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@contextmanager
def flask_worker(app, log_path: Path):
    """A real RQ worker, started the way users start it (`flask worker`), on this test's database,
    Redis, queue and archive. The process reads its configuration from the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANGJIAN_", "FLASK_"))}
    env.update({
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": app.config["REDIS_URL"],
        "DANGJIAN_RQ_QUEUE": app.config["RQ_QUEUE"],
        "DANGJIAN_NOTIFY_QUEUE": app.config["NOTIFY_QUEUE"],
        "SMTP_HOST": app.config["SMTP_HOST"],
        "SMTP_PORT": str(app.config["SMTP_PORT"]),
        "PUBLIC_BASE_URL": app.config["PUBLIC_BASE_URL"],
        "DANGJIAN_ARCHIVE_DIR": app.config["ARCHIVE_DIR"],
        "DANGJIAN_UPLOAD_DIR": app.config["UPLOAD_DIR"],
        "SECRET_KEY": app.config["SECRET_KEY"],  # so the worker never writes instance/secret_key
        "DANGJIAN_DATA_KEY": ",".join(app.config["DATA_KEYS"]),  # and reads the same personal data
        "PYTHONUNBUFFERED": "1",
    })
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # RQ's warm shutdown
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


_browser = None  # one headless Chromium per test process (pytest-xdist worker), started on first use


def _shared_browser():
    """Starting Chromium and Playwright's driver costs seconds; each browser test used to pay it.
    The browser is launched once per process, with a new, empty profile (Playwright gives a plain
    launch a fresh temporary --user-data-dir), and stopped when the process exits. Every test gets a
    new browser context: its own cookies, storage and cache, shared with no other test."""
    global _browser
    if _browser is None or not _browser.is_connected():
        from playwright.sync_api import sync_playwright

        assert os.path.exists(CHROMIUM), f"{CHROMIUM} is missing: apt-get install chromium (make test does it)"
        playwright = sync_playwright().start()
        _browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)

        def stop(browser=_browser):
            try:
                browser.close()
            finally:
                playwright.stop()

        atexit.register(stop)
    return _browser


@contextmanager
def chromium(user_data_dir: Path | None = None, **context_options):
    """A fresh browser context in headless Chromium: no cookies, storage or cache from any other
    test. A missing browser is a failure, never a skip. (`user_data_dir` is accepted for the callers
    written before the browser was shared; each context is already empty.)"""
    context = _shared_browser().new_context(accept_downloads=True, locale="zh-CN", **context_options)
    try:
        yield context
    finally:
        context.close()


def confirm_dialog(page, answer="确定"):
    """Answer the app's own confirmation dialog (templates/_confirm_dialog.html, static/confirm.js)
    with 确定 or 取消, as a user does, and return its question."""
    from playwright.sync_api import expect

    dialog = page.get_by_role("alertdialog", name="请确认")
    expect(dialog).to_be_visible()
    question = dialog.locator(".dj-confirm-text").inner_text()
    dialog.get_by_role("button", name=answer, exact=True).click()
    expect(dialog).to_be_hidden()
    return question


def nav_link(page, name):
    """The main navigation's link named `name`, as a user reaches it: in the bar, or — a module's
    entry under 「党建工作」, a management item under 「更多」 on narrower screens — after opening the
    menu that holds it (templates/base.html)."""
    nav = page.get_by_role("navigation", name="主导航")
    link = nav.get_by_role("link", name=name, exact=True)
    if link.count() == 0:
        for menu in nav.locator("[data-dj-menu]").all():
            button = menu.locator(":scope > button")
            if button.is_visible() and menu.get_by_role("link", name=name, exact=True, include_hidden=True).count():
                button.click()
                break
    return link
