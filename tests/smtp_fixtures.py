"""Fixtures for the notification tests: the SMTP capture server, an app that sends e-mail to it,
and a local HTTP server standing in for a group robot."""
from __future__ import annotations

import json
import os
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.smtp_support import SmtpCapture, start_capture


@pytest.fixture(scope="session")
def smtp_capture(tmp_path_factory):
    """The SMTP server `make test` started, or one of this session's own."""
    port, directory = os.environ.get("TEST_SMTP_PORT"), os.environ.get("TEST_SMTP_DIR")
    if port and directory:
        yield SmtpCapture(int(port), Path(directory))
        return
    directory = tmp_path_factory.mktemp("smtp-capture")
    proc, port = start_capture(directory)
    try:
        yield SmtpCapture(port, directory)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def mail(app, org, smtp_capture):
    """E-mail on, to the capture server; every user of `org` gets an address with this test's
    token. Returns (capture, token)."""
    from dangjian.extensions import db
    from dangjian.models import User

    token = uuid.uuid4().hex[:10]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_capture.port, SMTP_FROM="党建关怀 <dangjian@test.edu.cn>",
                      PUBLIC_BASE_URL="https://dangjian.test.edu.cn")
    for user in db.session.query(User):
        user.email = f"{user.username}.{token}@test.edu.cn"
    db.session.commit()
    return smtp_capture, token


class _Robot(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append({"path": self.path, "content_type": self.headers.get("Content-Type"),
                                     "json": json.loads(body.decode("utf-8"))})
        answer = json.dumps(self.server.answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    """A local HTTP server that answers like a group robot and keeps what it was sent."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Robot)
    server.received, server.answer = [], {"errcode": 0, "errmsg": "ok"}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key=test-key"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
