"""`flask worker`: the real RQ fork worker, as `make run` starts it, in a subprocess.

The subprocess builds its app from the environment (DATABASE_URL, REDIS_URL, DANGJIAN_ARCHIVE_DIR,
DANGJIAN_RQ_QUEUE), so it sees this test's database, Redis queue and archive.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

from rq.registry import FailedJobRegistry
from sqlalchemy import func, select, update

from dangjian.documents import jobs
from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus
from dangjian.queue import documents_queue
from tests.test_document_jobs import (approved_request, archive_files, assert_cjk_fonts_embedded,
                                      assert_done_and_intact, document_of, pdf_text)
from tests.factories import approve, new_waiver

REPO = Path(__file__).resolve().parents[1]
FLASK = Path(sys.executable).parent / "flask"


def run_flask(app, *args, timeout=120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DANGJIAN_", "FLASK_"))}
    env.update(DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
               REDIS_URL=app.config["REDIS_URL"],
               DANGJIAN_ARCHIVE_DIR=app.config["ARCHIVE_DIR"],
               DANGJIAN_UPLOAD_DIR=app.config["UPLOAD_DIR"],
               DANGJIAN_RQ_QUEUE=app.config["RQ_QUEUE"],
               DANGJIAN_CACHE_NAMESPACE=app.config["CACHE_NAMESPACE"],
               SECRET_KEY=app.config["SECRET_KEY"],  # so it never writes instance/secret_key
               DANGJIAN_DATA_KEY=",".join(app.config["DATA_KEYS"]))
    return subprocess.run([str(FLASK), "--app", "wsgi", *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_flask_worker_forks_renders_and_records_failures(app, org, redis_conn):
    good = approved_request(org)
    bad = new_waiver(org.member_b)
    approve(bad, org.secretary_b)
    approve(bad, org.secondary_b)
    approve(bad, org.school_user)
    bad_doc = document_of(bad.id)
    db.session.execute(update(Document).where(Document.id == bad_doc.id).values(template="pdf/no_such_form.html"))
    db.session.commit()
    queue = documents_queue()
    # Each approved waiver queued its 审批表 and its 批复; the bad one's 审批表 cannot render.
    jobs_by_doc = {queue.fetch_job(j).args[0]: j for j in queue.job_ids}
    assert len(jobs_by_doc) == 4
    good_job, bad_job = jobs_by_doc[document_of(good.id).id], jobs_by_doc[bad_doc.id]

    proc = run_flask(app, "worker", "--burst")
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log

    doc = document_of(good.id)
    pdf = assert_done_and_intact(doc)
    assert "王喆" in pdf_text(pdf) and good.number in pdf_text(pdf)
    assert_cjk_fonts_embedded(pdf)
    replies = [document_of(r.id, "dues_waiver_reply") for r in (good, bad)]
    assert archive_files() == sorted([doc.storage_path] + [assert_done_and_intact(r) and r.storage_path
                                                            for r in replies])

    bad_doc = document_of(bad.id)
    assert bad_doc.status is DocumentStatus.FAILED and "no_such_form.html" in bad_doc.error
    assert FailedJobRegistry(queue=queue).get_job_ids() == [bad_job]

    # The parent preloaded WeasyPrint; each job ran in a forked work-horse (another pid), and
    # every line of ours names its job.
    parent = re.search(r"\[(\d+)\] INFO dangjian.worker: worker for queues .*WeasyPrint preloaded", log)
    assert parent, log
    rendered = re.search(rf"\[(\d+)\] INFO dangjian.documents.jobs: \[job {good_job} document={doc.id}\] "
                         rf"rendered {re.escape(doc.storage_path)}", log)
    failed = re.search(rf"\[(\d+)\] ERROR dangjian.documents.jobs: \[job {bad_job} document={bad_doc.id}\] "
                       r"failed: TemplateNotFound", log)
    assert rendered and failed, log
    assert parent.group(1) not in (rendered.group(1), failed.group(1))
    assert rendered.group(1) != failed.group(1)


def test_a_forked_work_horse_does_not_reuse_the_parents_database_connections(app, org, redis_conn):
    """Two processes must never share one connection. The work-horse drops the pool it inherited
    (without closing the parent's connections) and opens its own."""
    req = approved_request(org)
    doc_id = document_of(req.id).id
    parent_pool = db.engine.pool
    assert parent_pool.checkedin() >= 1  # the parent holds an open connection when it forks

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the work-horse
        try:
            result = jobs.render_document(doc_id)
            report = f"{result}|{db.engine.pool is parent_pool}"
        except BaseException as exc:  # report anything to the parent; never return into pytest
            report = repr(exc)
        os.write(write_end, report.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as f:
        report = f.read().decode()
    os.waitpid(pid, 0)

    doc = document_of(req.id)
    assert report == f"{doc.storage_path}|False"
    assert_done_and_intact(doc)
    # The parent's own connection is intact and still answers.
    assert db.session.scalar(select(func.count(Document.id))) == 2  # the 审批表 and the 批复
