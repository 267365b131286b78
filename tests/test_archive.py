"""文档归档 (issue 9 §6): 组织部 and 纪委 browse the finished documents by year, kind and organization,
open or download each, and export a year as a ZIP whose manifest matches its files; everyone else
gets 404. The documents are real: rendered by the real RQ worker."""
import csv
import hashlib
import io
import json
import os
import stat
import zipfile
from datetime import datetime

import pytest
from flask import current_app
from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import AuditEvent, Document
from dangjian.timeutil import local_today
from tests.test_document_jobs import approved_request, archived_bytes, run_worker, waiver_forms_only


@pytest.fixture
def archived(app, org, redis_conn, monkeypatch):
    """Two approved 党费减免 of this year (branch a1 and, by 周珺玥, branch b1), rendered: their
    审批表 (their 批复 in the archive: tests/test_dues_waiver_reply.py)."""
    waiver_forms_only(monkeypatch)
    first = approved_request(org)
    from tests.factories import approve, new_waiver
    second = new_waiver(org.member_b)
    approve(second, org.secretary_b)
    approve(second, org.secondary_b)
    approve(second, org.school_user)
    assert run_worker()
    docs = list(db.session.scalars(select(Document).order_by(Document.id)))
    assert [d.status.value for d in docs] == ["done", "done"], [d.error for d in docs]
    return first, second, docs


def audit_rows(action):
    return [json.loads(e.detail or "{}") for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))]


@pytest.mark.parametrize("who", ["org_dept_user", "supervisor"])
def test_org_dept_and_supervisor_browse_the_year_and_open_each_document(app, org, auth, client, archived, who):
    first, second, docs = archived
    auth.login(getattr(org, who))
    page = client.get("/archive/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for req, doc in ((first, docs[0]), (second, docs[1])):
        assert req.number in html and doc.sha256[:12] in html
        assert f"/documents/{doc.id}/preview" in html and f"/documents/{doc.id}/download" in html
        assert client.get(f"/documents/{doc.id}/download").data == archived_bytes(doc)
    assert "共 2 个文件" in html and "archive-export" in html
    assert audit_rows("document.archive_viewed")[-1]["total"] == 2


def test_filters_by_organization_subtree_kind_and_year(app, org, auth, client, archived):
    first, second, _ = archived
    auth.login(org.org_dept_user)
    html = client.get(f"/archive/?org={org.sec_a.id}").get_data(as_text=True)
    assert first.number in html and second.number not in html
    html = client.get(f"/archive/?org={org.branch_b1.id}&kind=dues_waiver_form").get_data(as_text=True)
    assert second.number in html and first.number not in html
    html = client.get("/archive/?kind=condolence_form").get_data(as_text=True)
    assert "没有符合条件的已生成文档" in html and first.number not in html
    html = client.get(f"/archive/?year={local_today().year - 1}").get_data(as_text=True)
    assert "没有已生成文档" in html and "archive-export" not in html
    html = client.get("/archive/?year=abc&kind=nope&org=999999").get_data(as_text=True)
    assert "年度应为" in html and "没有这种文件类型" in html and "没有这个党组织" in html


def test_the_list_pages_by_fifty(app, org, auth, client, archived):
    _, _, docs = archived
    for n in range(60):  # more versions of the first form (rows only: the list reads the database)
        db.session.add(Document(request_id=docs[0].request_id, kind=docs[0].kind, part="", title=docs[0].title,
                                template=docs[0].template, version=n + 2, status=docs[0].status,
                                storage_path=docs[0].storage_path, sha256=docs[0].sha256, size=docs[0].size,
                                created_at=docs[0].created_at))
    db.session.commit()
    auth.login(org.org_dept_user)
    html = client.get("/archive/").get_data(as_text=True)
    assert "共 62 个文件，第 1/2 页" in html and html.count("/preview") == 50
    assert client.get("/archive/?page=2").get_data(as_text=True).count("/preview") == 12


@pytest.mark.parametrize("who", ["member", "secretary", "secondary", "school_user", "sysadmin"])
def test_everyone_else_gets_404(app, org, auth, client, who):
    auth.login(getattr(org, who))
    assert client.get("/archive/").status_code == 404
    resp = client.get(f"/archive/export.zip?year={local_today().year}")
    assert resp.status_code == 404 and not resp.data.startswith(b"PK")


def test_anonymous_is_sent_to_sign_in(app, client):
    assert client.get("/archive/").status_code == 302


@pytest.mark.parametrize("who", ["org_dept_user", "supervisor"])
def test_the_zip_holds_the_files_its_manifest_lists_with_their_sha256(app, org, auth, client, archived, who):
    first, second, docs = archived
    auth.login(getattr(org, who))
    resp = client.get(f"/archive/export.zip?year={local_today().year}")
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        names = zf.namelist()
        assert names[-1] == "manifest.csv"
        raw = zf.read("manifest.csv")
        assert raw.startswith("\ufeff".encode())  # Excel reads it as UTF-8
        rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        assert list(rows[0])[:6] == ["文件", "文号", "申请编号", "SHA-256", "版本", "日期"]
        assert sorted(r["申请编号"] for r in rows) == sorted([first.number, second.number])
        assert sorted(names[:-1]) == sorted(r["文件"] for r in rows)
        for row in rows:
            data = zf.read(row["文件"])
            assert hashlib.sha256(data).hexdigest() == row["SHA-256"]
            doc = next(d for d in docs if d.request.number == row["申请编号"])
            assert row["SHA-256"] == doc.sha256 and data == archived_bytes(doc)
            assert row["版本"] == "1" and row["日期"] == local_today().isoformat() and row["备注"] == ""
            assert row["文件"] == f"{doc.request.number}/{doc.download_name}"
    assert audit_rows("document.archive_exported")[-1] == {"filters": {"year": local_today().year}, "files": 2}


def test_the_zip_follows_the_filters_and_an_empty_year_exports_nothing(app, org, auth, client, archived):
    first, second, _ = archived
    auth.login(org.supervisor)
    resp = client.get(f"/archive/export.zip?year={local_today().year}&org={org.branch_b1.id}")
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        assert [n.split("/")[0] for n in zf.namelist()] == [second.number, "manifest.csv"]
    resp = client.get(f"/archive/export.zip?year={local_today().year - 1}", follow_redirects=True)
    assert "没有符合条件的已生成文档，无需导出" in resp.get_data(as_text=True)
    assert len(audit_rows("document.archive_exported")) == 1


def test_a_file_changed_on_disk_is_left_out_and_the_manifest_says_so(app, org, auth, client, archived):
    _, _, docs = archived
    path = os.path.join(current_app.config["ARCHIVE_DIR"], docs[0].storage_path)
    os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    with open(path, "ab") as f:
        f.write(b"%tampered")
    auth.login(org.org_dept_user)
    resp = client.get(f"/archive/export.zip?year={local_today().year}")
    with zipfile.ZipFile(io.BytesIO(resp.data)) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("manifest.csv").decode("utf-8-sig"))))
        bad = next(r for r in rows if r["SHA-256"] == docs[0].sha256)
        assert bad["文件"] == "" and "校验失败" in bad["备注"]
        assert len(zf.namelist()) == 2  # the intact file and the manifest


def test_the_year_is_the_local_calendar_year(app, org, auth, client, archived):
    _, _, docs = archived
    # 31 December 2025, 17:00 UTC is 1 January 2026, 01:00 in Beijing: a document of 2026.
    docs[0].created_at = datetime(2025, 12, 31, 17, 0)
    db.session.commit()
    auth.login(org.org_dept_user)
    assert docs[0].request.number in client.get("/archive/?year=2026").get_data(as_text=True)
    assert docs[0].request.number not in client.get("/archive/?year=2025").get_data(as_text=True)
