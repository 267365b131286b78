"""The 审批表 job against a real Redis and a real RQ worker (rq.SimpleWorker in burst mode, in this
process; tests/test_worker.py runs the real fork worker, `flask worker`).

The database is the truth and Redis only carries messages: a document row exists before its job,
a job can run twice and leave one file, a failure is recorded and shown, and the sweep finds
whatever went missing while Redis was down or a worker died.
"""
import dataclasses
import hashlib
import io
import os
import re
import signal
from datetime import timedelta

import pytest
from flask import current_app
from pypdf import PdfReader
from rq import SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import select, update

from dangjian.documents import jobs, render
from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus, Request, RequestState
from dangjian.models.base import utcnow
from dangjian.queue import all_queue_names, documents_queue, redis_connection
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.workflow import Action, apply_action
from tests.factories import approve, new_waiver

CLOSED_REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1: "Redis is down"
OPINIONS = {"secretary": "经支委会讨论，王喆同志困难情况属实，同意减交。",
            "secondary": "情况属实，同意支部意见。",
            "school": "经校党委审批，同意减免。"}


def waiver_forms_only(monkeypatch):
    """An approved waiver makes its 审批表 only (it also makes a 批复 with a 文号, which
    tests/test_dues_waiver_reply.py renders through the worker), for tests that count documents."""
    workflow = DuesWaiver.workflow
    monkeypatch.setattr(DuesWaiver, "workflow", dataclasses.replace(
        workflow, documents=tuple(d for d in workflow.documents if d.kind == "dues_waiver_form")))


@pytest.fixture(autouse=True)
def _only_the_form(monkeypatch):
    """The job machinery, on one document per request: queue lengths, archive listings and
    failed-job registries then count one job."""
    waiver_forms_only(monkeypatch)


# --- helpers shared with test_documents.py and test_worker.py -----------------------------------

def run_worker() -> bool:
    """Run a real RQ worker (no fork) over this test's queue until it is empty.

    Each job has its own session; the test's session (which the test client shares) then forgets
    what it had loaded, as a new web request would.
    """
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        worked = SimpleWorker(all_queue_names(), connection=redis_connection()).work(burst=True)
    finally:
        for sig, handler in handlers.items():  # RQ installs its own; give pytest's back
            signal.signal(sig, handler)
    db.session.expire_all()
    return worked


def approved_request(o, **kw):
    req = new_waiver(o.member, **kw)
    approve(req, o.secretary, opinion=OPINIONS["secretary"])
    approve(req, o.secondary, opinion=OPINIONS["secondary"])
    approve(req, o.school_user, opinion=OPINIONS["school"])
    return req


def document_of(req_id: int, kind: str | None = None) -> Document:
    """The request's document of `kind`, by default its one form (审批表: an approved waiver also
    has its 批复), read fresh from the database."""
    db.session.expire_all()
    which = Document.kind == kind if kind else Document.kind.like("%form")
    return db.session.scalars(select(Document).where(Document.request_id == req_id, which)).one()


def archive_files() -> list[str]:
    root = current_app.config["ARCHIVE_DIR"]
    return sorted(os.path.relpath(os.path.join(d, f), root)
                  for d, _, files in os.walk(root) for f in files)


def archived_bytes(doc: Document) -> bytes:
    with open(os.path.join(current_app.config["ARCHIVE_DIR"], doc.storage_path), "rb") as f:
        return f.read()


def pdf_text(pdf: bytes) -> str:
    """All text of the PDF with whitespace removed (extraction splits CJK runs unpredictably)."""
    return re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def pdf_fonts(pdf: bytes) -> dict[str, set[str]]:
    """{font name without subset prefix: the FontFile keys of its descriptor} for every page font."""
    fonts = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get_object().get("/Font") or {}).values():
            font = font.get_object()
            owner = font["/DescendantFonts"][0].get_object() if font.get("/Subtype") == "/Type0" else font
            descriptor = owner["/FontDescriptor"].get_object()
            name = str(font["/BaseFont"]).lstrip("/").split("+", 1)[-1]
            fonts[name] = {k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor}
    return fonts


def assert_done_and_intact(doc: Document) -> bytes:
    assert doc.status is DocumentStatus.DONE, doc.error
    data = archived_bytes(doc)
    assert data.startswith(b"%PDF-")
    assert hashlib.sha256(data).hexdigest() == doc.sha256 and len(data) == doc.size
    return data


def assert_cjk_fonts_embedded(pdf: bytes) -> None:
    fonts = pdf_fonts(pdf)
    assert fonts, "the PDF uses no font"
    for name, files in fonts.items():
        assert re.search(r"Noto.*CJK", name), f"{name} is not a Noto CJK font"
        assert files & {"/FontFile2", "/FontFile3"}, f"{name} is not embedded"


# --- the job renders what the approval decided ----------------------------------------------------

def test_approval_through_all_steps_renders_the_form(app, org, redis_conn):
    req = approved_request(org)
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.PENDING  # the row exists before its job runs
    assert doc.enqueued_at is not None and len(documents_queue()) == 1

    assert run_worker()
    doc = document_of(req.id)
    pdf = assert_done_and_intact(doc)
    assert doc.attempts == 1 and doc.error is None
    assert archive_files() == [doc.storage_path]

    text = pdf_text(pdf)
    for expected in ["党费减免审批表", req.number, "王喆", "会计学院教工第一党支部", "会计学院党委",
                     *OPINIONS.values(),
                     "李书记（支部书记/支委）", "陈组织员", "张校领导（校党委）",  # signers
                     "支委会", "同意5票，反对0票，弃权0票",  # the meeting the branch cited
                     "¥45.00", "¥20.00", "¥120.00", "人民币壹佰贰拾元整",  # figures and capitals
                     "2026年1月至2026年6月，共6个月", "家庭经济困难，爱人患病住院，需长期治疗。",
                     "同意（已通过）"]:
        assert expected in text, expected
    assert_cjk_fonts_embedded(pdf)


def test_a_rejected_request_also_gets_its_form_with_the_reject_opinion(app, org, redis_conn):
    req = new_waiver(org.member_b)
    approve(req, org.secretary_b, opinion="支部同意。")
    apply_action(req, org.secondary_b, Action.REJECT, opinion="不符合减免条件，不同意减免。")
    assert req.state is RequestState.REJECTED

    run_worker()
    doc = document_of(req.id)
    text = pdf_text(assert_done_and_intact(doc))
    for expected in ["周珺玥", req.number, "支部同意。", "不符合减免条件，不同意减免。", "不同意（未通过）"]:
        assert expected in text, expected


def test_the_web_request_never_renders_a_pdf(app, org, auth, client, redis_conn, monkeypatch):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)

    def no_rendering_here(*args, **kwargs):
        raise AssertionError("a web request rendered a PDF")

    monkeypatch.setattr(render, "render_pdf_string", no_rendering_here)
    auth.login(org.school_user)
    resp = client.post(f"/requests/{req.id}/act", data={"action": "approve", "opinion": "同意",
                                                         "version": req.version, "context": "page"})
    assert resp.status_code == 200
    assert "hx-trigger=\"load delay:1s\"" in resp.get_data(as_text=True)
    assert document_of(req.id).status is DocumentStatus.PENDING and archive_files() == []

    monkeypatch.undo()
    run_worker()
    assert_done_and_intact(document_of(req.id))


# --- Redis down, runs twice, failures, stuck work ---------------------------------------------------

def test_redis_down_during_approval_commits_and_the_sweep_renders_it_once(app, org, auth, client, redis_conn):
    req = new_waiver(org.member)
    approve(req, org.secretary)
    approve(req, org.secondary)

    real_redis_url = app.config["REDIS_URL"]
    app.config["REDIS_URL"] = CLOSED_REDIS_URL
    auth.login(org.school_user)
    resp = client.post(f"/requests/{req.id}/act", data={"action": "approve", "opinion": "同意",
                                                         "version": req.version, "context": "page"})
    assert resp.status_code == 200 and "已同意" in resp.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Request, req.id).state is RequestState.APPROVED  # the approval committed
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.PENDING and doc.enqueued_at is None
    assert jobs.sweep() == []  # Redis still down: nothing lost, still pending
    assert document_of(req.id).enqueued_at is None

    app.config["REDIS_URL"] = real_redis_url  # Redis is back
    assert len(documents_queue()) == 0
    result = app.test_cli_runner().invoke(args=["documents", "sweep"])
    assert result.exit_code == 0 and f"[{doc.id}]" in result.output
    assert len(documents_queue()) == 1
    assert run_worker()
    doc = document_of(req.id)
    assert_done_and_intact(doc)
    assert doc.attempts == 1 and archive_files() == [doc.storage_path]

    finished = doc.finished_at
    assert jobs.sweep() == []
    assert not run_worker()  # nothing was queued
    doc = document_of(req.id)
    assert (doc.status, doc.attempts, doc.finished_at) == (DocumentStatus.DONE, 1, finished)
    assert archive_files() == [doc.storage_path]


def test_a_job_that_runs_twice_leaves_one_file_and_one_state_change(app, org, redis_conn):
    req = approved_request(org)
    doc_id = document_of(req.id).id
    jobs.enqueue_documents([doc_id], cutoff=utcnow() + timedelta(seconds=1))  # a duplicate message
    queue = documents_queue()
    job_ids = queue.job_ids
    assert len(job_ids) == 2

    run_worker()
    results = sorted(str(queue.fetch_job(j).return_value()) for j in job_ids)
    doc = document_of(req.id)
    assert results == sorted([doc.storage_path, "skipped"])
    assert doc.attempts == 1 and archive_files() == [doc.storage_path]
    finished = doc.finished_at
    assert jobs.render_document(doc_id) == "skipped"  # and a third time, called directly
    doc = document_of(req.id)
    assert (doc.status, doc.attempts, doc.finished_at) == (DocumentStatus.DONE, 1, finished)


def test_the_same_document_renders_to_the_same_bytes(app, org, redis_conn):
    """So a render repeated after a worker died between writing the file and marking the row
    finds the identical file in the archive and completes, instead of conflicting with it."""
    req = approved_request(org)
    run_worker()
    doc = document_of(req.id)
    first, path = assert_done_and_intact(doc), doc.storage_path
    db.session.execute(update(Document).where(Document.id == doc.id)
                       .values(status=DocumentStatus.PENDING, sha256=None, storage_path=None))
    db.session.commit()
    assert jobs.render_document(doc.id) == path
    doc = document_of(req.id)
    assert assert_done_and_intact(doc) == first and doc.attempts == 2 and archive_files() == [path]


@pytest.mark.parametrize("breakage, shown", [
    ("template", "pdf/no_such_form.html"),
    ("glyph", "PDF 中有字体无法显示的字符"),
])
def test_a_failed_render_is_recorded_shown_and_retried(app, org, auth, client, redis_conn, breakage, shown):
    if breakage == "glyph":
        org.member.member.name = "王\ue000"  # a character no installed font has
        db.session.commit()
    req = approved_request(org)
    doc_id = document_of(req.id).id
    if breakage == "template":
        db.session.execute(update(Document).where(Document.id == doc_id).values(template="pdf/no_such_form.html"))
        db.session.commit()

    run_worker()
    doc = document_of(req.id)
    assert doc.status is DocumentStatus.FAILED and shown in doc.error
    assert archive_files() == []
    failed = FailedJobRegistry(queue=documents_queue())
    [job_id] = failed.get_job_ids()  # RQ records the failure too: the job raised
    assert documents_queue().fetch_job(job_id).args == (doc_id,)
    assert job_id in doc.error  # the error names the job, to find it in RQ

    auth.login(org.member)
    widget = client.get(f"/requests/{req.id}/documents").get_data(as_text=True)
    assert "生成失败" in widget and shown in widget
    assert "hx-trigger" not in widget  # a failed document is final until retried: no polling

    # Fix the cause, then retry from the command line.
    if breakage == "template":
        db.session.execute(update(Document).where(Document.id == doc_id)
                           .values(template="pdf/dues_waiver_form.html"))
    else:
        org.member.member.name = "王喆"
    db.session.commit()
    which = [str(doc_id)] if breakage == "template" else ["--all-failed"]
    result = app.test_cli_runner().invoke(args=["documents", "retry", *which])
    assert result.exit_code == 0 and f"文档 {doc_id} 已重新排队" in result.output, result.output
    assert document_of(req.id).status is DocumentStatus.PENDING
    run_worker()
    doc = document_of(req.id)
    assert_done_and_intact(doc)
    assert doc.attempts == 2 and doc.error is None
    result = app.test_cli_runner().invoke(args=["documents", "retry", str(doc_id)])
    assert result.exit_code == 1 and "不是生成失败的文档" in result.output


def test_a_document_left_rendering_by_a_dead_worker_is_taken_back_and_rendered(app, org, redis_conn):
    req = approved_request(org)
    doc_id = document_of(req.id).id
    documents_queue().empty()  # the worker took the message ...
    db.session.execute(update(Document).where(Document.id == doc_id).values(  # ... claimed, and died
        status=DocumentStatus.RENDERING, attempts=1, started_at=utcnow() - timedelta(seconds=5)))
    db.session.commit()
    assert jobs.sweep() == []  # a render that started seconds ago may be alive: leave it alone
    assert document_of(req.id).status is DocumentStatus.RENDERING

    db.session.execute(update(Document).where(Document.id == doc_id)
                       .values(started_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert jobs.sweep() == [doc_id]
    assert document_of(req.id).status is DocumentStatus.PENDING
    run_worker()
    doc = document_of(req.id)
    assert_done_and_intact(doc)
    assert doc.attempts == 2 and archive_files() == [doc.storage_path]


def test_a_pending_document_whose_message_was_lost_is_enqueued_again(app, org, redis_conn):
    req = approved_request(org)
    doc_id = document_of(req.id).id
    documents_queue().empty()  # Redis restarted without its data
    assert jobs.sweep() == []  # enqueued just now: the job may still be on its way
    db.session.execute(update(Document).where(Document.id == doc_id)
                       .values(enqueued_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["ticker", "--once"])
    assert result.exit_code == 0, result.output
    assert len(documents_queue()) == 1
    assert jobs.sweep() == []  # enqueued again just now: a second sweep does not double it
    run_worker()
    assert_done_and_intact(document_of(req.id))
