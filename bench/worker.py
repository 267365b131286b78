"""A real `flask worker` (RQ fork worker, preloading WeasyPrint): final approval → PDF, and memory.

The worker runs as a subprocess on the bench database, Redis, archive and its own queue name, so
it never takes jobs meant for a development worker on the same Redis.

Memory: the fork worker's parent waits for jobs and forks one work-horse per job; the horse
renders and exits. A sampler thread reads /proc every few milliseconds: the parent's RSS, and each
horse's peak RSS (VmHWM) while it lives. The k-th horse that appears is the k-th render.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from dangjian.extensions import db
from dangjian.models import Document, DocumentStatus, Request, RequestState, User
from dangjian.request_types.dues_waiver.model import DuesWaiver
from dangjian.workflow import Action, apply_action

from .stats import Sample

ROOT = Path(__file__).resolve().parents[1]
FINAL_OPINION = "经校党委会研究，同意减免。"


# ------------------------------------------------------------------------------ /proc

def proc_status_kb(pid: int, key: str = "VmRSS") -> int | None:
    """A memory field of /proc/<pid>/status in kB, or None when the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return None


def children(pid: int) -> list[int]:
    """Direct children of pid (/proc/<pid>/task/<pid>/children, else a scan of /proc)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        pass
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


# ------------------------------------------------------------------------------ the worker process

class WorkerProcess:
    """`python -m flask --app "dangjian:create_app({'RQ_QUEUE': …})" worker`, started and stopped by us."""

    def __init__(self, db_url: str, redis_url: str, queue: str, archive_dir: Path, log_path: Path):
        self.env = {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "DANGJIAN_ARCHIVE_DIR": str(archive_dir)}
        # Also given to the factory (a literal Flask parses), so an instance/config.py cannot point the
        # worker at another database; and the queue name has no environment variable.
        config = {"SQLALCHEMY_DATABASE_URI": db_url, "REDIS_URL": redis_url, "ARCHIVE_DIR": str(archive_dir),
                  "RQ_QUEUE": queue, "SECRET_KEY": "bench"}
        self.app_spec = f"dangjian:create_app({config!r})"
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = dict(os.environ, **self.env, PYTHONUNBUFFERED="1")
        env.pop("FLASK_APP", None)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "flask", "--app", self.app_spec, "worker"],
                                     cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise RuntimeError(f"the worker exited ({self.proc.returncode}); see {self.log_path}:\n"
                               + self.log_path.read_text()[-3000:])

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL for it and any child it left, by pid."""
        if self.proc is None or self.proc.poll() is not None:
            return
        kids = children(self.proc.pid)
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for pid in kids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()


# ------------------------------------------------------------------------------ approval → PDF

@dataclass
class PdfRun:
    total: Sample  # final approval started → Document done
    approve: Sample  # apply_action, commit and enqueue (what the web request waits for)
    queue_wait: Sample  # enqueued → a horse started the job (from the Document row)
    render: Sample  # started → done: render, archive, SHA-256, mark done
    downloads_ok: int = 0
    failures: list[str] = field(default_factory=list)


def school_pending(app, school_username: str, n: int) -> tuple[int, list[int]]:
    """The school approver's id and n requests waiting at 校党委审批 that they may approve."""
    from dangjian.inbox import todo_condition
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == school_username))
        ids = list(db.session.scalars(select(Request.id).where(todo_condition(user))
                                      .order_by(Request.id).limit(n)))
        uid = user.id
        db.session.remove()
    if len(ids) < n:
        raise SystemExit(f"only {len(ids)} requests wait at 校党委审批, {n} needed: reseed "
                         "(run without --reuse)")
    return uid, ids


def _wait_done(engine, doc_id: int, timeout: float, worker: WorkerProcess) -> DocumentStatus:
    deadline = time.perf_counter() + timeout
    query = select(Document.status).where(Document.id == doc_id)
    while True:
        with engine.connect() as conn:  # a new transaction each time: SQLite WAL sees the commit
            status = conn.execute(query).scalar()
        if status in (DocumentStatus.DONE, DocumentStatus.FAILED):
            return status
        if time.perf_counter() > deadline:
            worker.check_alive()
            raise TimeoutError(f"document {doc_id} still {status} after {timeout:.0f} s")
        time.sleep(0.005)


def approve_to_pdf(app, worker: WorkerProcess, user_id: int, request_ids: list[int],
                   timeout: float = 120.0, check_download=None) -> PdfRun:
    """For each request: the final approval through the engine, then poll its Document until done."""
    run = PdfRun(Sample("pdf:total"), Sample("pdf:approve"), Sample("pdf:queue"), Sample("pdf:render"))
    with app.app_context():
        engine = db.engine
    for rid in request_ids:
        with app.app_context():
            req = db.session.get(DuesWaiver, rid)
            user = db.session.get(User, user_id)
            t0 = time.perf_counter()
            apply_action(req, user, Action.APPROVE, opinion=FINAL_OPINION)
            t_approved = time.perf_counter()
            doc_id = db.session.scalar(select(Document.id).where(Document.request_id == rid)
                                       .order_by(Document.id.desc()))
            db.session.remove()
        status = _wait_done(engine, doc_id, timeout, worker)
        t_done = time.perf_counter()
        if status is not DocumentStatus.DONE:
            with app.app_context():
                run.failures.append(f"document {doc_id}: {db.session.get(Document, doc_id).error}")
                db.session.remove()
            continue
        run.total.seconds.append(t_done - t0)
        run.approve.seconds.append(t_approved - t0)
        with app.app_context():
            doc = db.session.get(Document, doc_id)
            if doc.enqueued_at and doc.started_at:
                run.queue_wait.seconds.append(max(0.0, (doc.started_at - doc.enqueued_at).total_seconds()))
            run.render.seconds.append((doc.finished_at - doc.started_at).total_seconds())
            db.session.remove()
        if check_download is not None and check_download(doc_id):
            run.downloads_ok += 1
    return run


# ------------------------------------------------------------------------------ memory over many renders

@dataclass
class Horse:
    order: int
    pid: int
    first_seen: float
    peak_kb: int = 0
    parent_kb_at_start: int = 0
    parent_kb_at_end: int | None = None
    ended: float | None = None


class HorseSampler(threading.Thread):
    """Polls /proc for the worker's parent RSS and each work-horse's peak RSS."""

    def __init__(self, parent_pid: int, exclude: set[int], interval: float = 0.004):
        super().__init__(daemon=True)
        self.parent_pid, self.exclude, self.interval = parent_pid, set(exclude), interval
        self.horses: list[Horse] = []  # in order of appearance
        self._live: dict[int, Horse] = {}  # pid -> the horse it is now
        self.parent_peak_kb = 0
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.is_set():
            parent_kb = proc_status_kb(self.parent_pid) or 0
            self.parent_peak_kb = max(self.parent_peak_kb, parent_kb)
            alive = set()
            for pid in children(self.parent_pid):
                if pid in self.exclude:
                    continue
                alive.add(pid)
                horse = self._live.get(pid)
                if horse is None:
                    horse = Horse(len(self.horses) + 1, pid, time.perf_counter(), parent_kb_at_start=parent_kb)
                    self.horses.append(horse)
                    self._live[pid] = horse
                peak = proc_status_kb(pid, "VmHWM") or proc_status_kb(pid) or 0
                horse.peak_kb = max(horse.peak_kb, peak)
            for pid in [p for p in self._live if p not in alive]:  # exited (a reused pid is a new horse)
                horse = self._live.pop(pid)
                horse.ended = time.perf_counter()
                horse.parent_kb_at_end = parent_kb
            time.sleep(self.interval)

    def stop(self) -> list[Horse]:
        self._stop_event.set()
        self.join()
        # A child still alive at the end is not a horse (e.g. an RQ scheduler started meanwhile).
        horses = [h for h in self.horses if h.ended is not None]
        for i, h in enumerate(horses, start=1):
            h.order = i
        return horses


@dataclass
class MemoryRun:
    renders: int
    done: int
    failed: int
    horses: list[Horse]
    parent_kb_before: int
    parent_kb_after: int
    seconds: float
    errors: list[str] = field(default_factory=list)


def memory_over_renders(app, worker: WorkerProcess, n: int, timeout_per_render: float = 20.0,
                        log=print) -> MemoryRun:
    """Re-render the 审批表 of n approved requests (a new version each, as the archive requires),
    one job per request on the worker's queue, while sampling the worker's memory."""
    from dangjian.documents import jobs

    with app.app_context():
        ids = list(db.session.scalars(select(DuesWaiver.id).where(DuesWaiver.state == RequestState.APPROVED)
                                      .order_by(DuesWaiver.id.desc()).limit(n)))
        db.session.remove()
    sampler = HorseSampler(worker.pid, exclude=set(children(worker.pid)))
    parent_before = proc_status_kb(worker.pid) or 0
    sampler.start()
    t0 = time.perf_counter()
    with app.app_context():
        doc_ids = []
        for rid in ids:
            req = db.session.get(DuesWaiver, rid)
            doc_ids += [d.id for d in jobs.create_documents(req, DuesWaiver.workflow.documents)]
        db.session.commit()  # enqueues after commit, as the engine does
        engine = db.engine
        db.session.remove()
    deadline = time.perf_counter() + timeout_per_render * max(n, 1) + 30
    done = failed = last_report = 0
    while True:
        with engine.connect() as conn:
            rows = conn.execute(select(Document.status).where(Document.id.in_(doc_ids))).scalars().all()
        done = sum(1 for s in rows if s is DocumentStatus.DONE)
        failed = sum(1 for s in rows if s is DocumentStatus.FAILED)
        if done + failed >= len(doc_ids):
            break
        if done - last_report >= 25:
            last_report = done
            log(f"  … {done}/{len(doc_ids)} rendered ({time.perf_counter() - t0:.0f} s)")
        if time.perf_counter() > deadline:
            break
        worker.check_alive()
        time.sleep(0.25)
    seconds = time.perf_counter() - t0
    time.sleep(0.1)  # let the sampler see the last horse exit
    horses = sampler.stop()
    errors = []
    if failed:
        with app.app_context():
            errors = list(db.session.scalars(select(Document.error).where(
                Document.id.in_(doc_ids), Document.status == DocumentStatus.FAILED).limit(3)))
            db.session.remove()
    return MemoryRun(len(doc_ids), done, failed, horses, parent_before, proc_status_kb(worker.pid) or 0,
                     seconds, errors)
