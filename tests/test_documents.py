"""What a user sees of the 审批表: the status widget on the request page, and the download.

Only people who may see the request download it, under its Chinese file name; anyone else gets 404,
and so does everyone while the document is not done. The archived bytes are checked against their
SHA-256 before they are sent: a file changed on disk is refused, never served.
"""
import hashlib
import os
import re
import stat
from urllib.parse import quote

import pytest
from flask import current_app

from tests.test_document_jobs import approved_request, archived_bytes, document_of, run_worker

POLLING = 'hx-trigger="load delay:1s"'


@pytest.fixture
def done(app, org, redis_conn):
    """An approved request of 王喆 whose 审批表 the worker has rendered."""
    req = approved_request(org)
    run_worker()
    doc = document_of(req.id)
    assert doc.is_done, doc.error
    return req, doc


def test_the_initiator_downloads_the_form_under_its_chinese_name(app, org, auth, client, done):
    req, doc = done
    auth.login(org.member)
    resp = client.get(f"/documents/{doc.id}/download")
    assert resp.status_code == 200
    assert resp.mimetype == "application/pdf"
    assert resp.data == archived_bytes(doc) and hashlib.sha256(resp.data).hexdigest() == doc.sha256
    name = f"党费减免审批表-{req.number}.pdf"
    disposition = resp.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(name)}" in disposition


@pytest.mark.parametrize("who", ["secretary", "secondary", "school_user", "supervisor"])
def test_people_who_may_see_the_request_download_it(app, org, auth, client, done, who):
    auth.login(getattr(org, who))
    assert client.get(f"/documents/{done[1].id}/download").status_code == 200


@pytest.mark.parametrize("who", ["member2", "secretary_a2", "secretary_b", "secondary_b", "direct_secretary",
                                 "sysadmin"])
def test_anyone_else_gets_404(app, org, auth, client, done, who):
    auth.login(getattr(org, who))
    resp = client.get(f"/documents/{done[1].id}/download")
    assert resp.status_code == 404 and not resp.data.startswith(b"%PDF")
    assert client.get(f"/requests/{done[0].id}/documents").status_code == 404


def test_a_document_not_done_is_404_even_for_the_initiator(app, org, auth, client, redis_conn):
    req = approved_request(org)  # no worker ran: pending
    auth.login(org.member)
    assert client.get(f"/documents/{document_of(req.id).id}/download").status_code == 404


def _path(doc):
    return os.path.join(current_app.config["ARCHIVE_DIR"], doc.storage_path)


def test_a_tampered_archive_file_is_refused(app, org, auth, client, done):
    _, doc = done
    path = _path(doc)
    data = bytearray(archived_bytes(doc))
    data[len(data) // 2] ^= 0x01  # one bit flipped on disk
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)  # the archive stores files read-only
    with open(path, "wb") as f:
        f.write(data)

    auth.login(org.member)
    resp = client.get(f"/documents/{doc.id}/download")
    assert resp.status_code == 500
    assert not resp.data.startswith(b"%PDF") and "Content-Disposition" not in resp.headers
    assert "校验失败" in resp.get_data(as_text=True)


def test_a_lost_archive_file_is_refused(app, org, auth, client, done):
    _, doc = done
    os.unlink(_path(doc))
    auth.login(org.member)
    resp = client.get(f"/documents/{doc.id}/download")
    assert resp.status_code == 500 and "校验失败" in resp.get_data(as_text=True)


def test_the_widget_polls_while_pending_and_shows_the_link_when_done(app, org, auth, client, redis_conn):
    req = approved_request(org)
    doc = document_of(req.id)
    widget_url = f"/requests/{req.id}/documents"
    auth.login(org.member)

    page = client.get(f"/requests/{req.id}").get_data(as_text=True)
    assert POLLING in page and f'hx-get="{widget_url}"' in page
    widget = client.get(widget_url).get_data(as_text=True)
    assert POLLING in widget and f'hx-get="{widget_url}"' in widget
    assert "排队生成中" in widget and "/download" not in widget

    run_worker()
    widget = client.get(widget_url).get_data(as_text=True)
    assert "hx-trigger" not in widget and "hx-get" not in widget  # polling stops
    assert re.search(rf'href="/documents/{doc.id}/download"', widget) and "下载 PDF" in widget
    assert POLLING not in client.get(f"/requests/{req.id}").get_data(as_text=True)
