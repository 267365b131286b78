"""`python -m bench` (run by `make bench`): seed, measure, print the report. Always exits 0 once the
measurements ran: it is a report, not a test.

Environment:
  BENCH_DATABASE_URL  the database to fill (default: SQLite file bench/out/bench.sqlite3).
                      It is emptied first, so it must not be the app's DATABASE_URL.
  BENCH_REDIS_URL / REDIS_URL   the Redis for the worker phase (make bench starts one on 6392).
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import signal
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
QUEUE = "bench-documents"


def log(msg: str = "") -> None:
    print(msg, file=sys.stderr, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="a tenth of the organization and fewer runs (a smoke run, not the figures)")
    p.add_argument("--scale", type=float, default=None, help="organization size factor (default 1)")
    p.add_argument("--page-runs", type=int, default=None, help="timed requests per page and user (200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed requests before each series (20)")
    p.add_argument("--pdf-runs", type=int, default=None, help="final approvals timed to PDF (20)")
    p.add_argument("--renders", type=int, default=None, help="renders for the memory series (200)")
    p.add_argument("--reuse", action="store_true", help="keep an already seeded bench database")
    p.add_argument("--skip-http", action="store_true", help="skip the HTTP phase (gunicorn + wrk)")
    p.add_argument("--http-seconds", type=int, default=None, help="seconds of wrk load per route (10)")
    p.add_argument("--skip-pages", action="store_true")
    p.add_argument("--skip-worker", action="store_true")
    p.add_argument("--skip-imports", action="store_true", help="skip the Excel import phase")
    p.add_argument("--skip-documents", action="store_true",
                   help="skip the document sizes phase (bytes per page of each kind)")
    p.add_argument("--import-members", type=int, default=None, help="members in the import roster (10000)")
    p.add_argument("--profile", action="store_true",
                   help="also profile each page (pyinstrument if installed, else cProfile) into bench/out/")
    args = p.parse_args(argv)
    quick = args.quick
    args.scale = args.scale if args.scale is not None else (0.1 if quick else 1.0)
    args.page_runs = args.page_runs if args.page_runs is not None else (40 if quick else 200)
    args.pdf_runs = args.pdf_runs if args.pdf_runs is not None else (5 if quick else 20)
    args.http_seconds = args.http_seconds if args.http_seconds is not None else (3 if quick else 10)
    args.renders = args.renders if args.renders is not None else (20 if quick else 200)
    args.import_members = args.import_members if args.import_members is not None else (1000 if quick else 10_000)
    return args


def database_url() -> str:
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite:///{OUT / 'bench.sqlite3'}"
    if url == os.environ.get("DATABASE_URL"):
        raise SystemExit("BENCH_DATABASE_URL is the app's DATABASE_URL: the bench empties its database; "
                         "point it at a separate one")
    return url


def redis_url(required: bool) -> str | None:
    url = os.environ.get("BENCH_REDIS_URL") or os.environ.get("REDIS_URL")
    if not url:
        if required:
            raise SystemExit("set REDIS_URL (or BENCH_REDIS_URL) for the worker phase, or use `make bench`, "
                             "which starts a throwaway Redis; --skip-worker measures the pages only")
        return None
    from redis import Redis
    from redis.exceptions import RedisError
    try:
        Redis.from_url(url, socket_connect_timeout=2).ping()
    except RedisError as exc:
        if required:
            raise SystemExit(f"Redis at {url} does not answer ({exc})") from None
    return url


def make_app(db_url: str, redis: str | None):
    from dangjian import create_app
    return create_app({
        "SQLALCHEMY_DATABASE_URI": db_url,
        "REDIS_URL": redis or "redis://127.0.0.1:1/0",
        "RQ_QUEUE": QUEUE,
        "ARCHIVE_DIR": str(OUT / "archive"),
        "UPLOAD_DIR": str(OUT / "uploads"),
        "SECRET_KEY": "bench",
        "WTF_CSRF_ENABLED": False,  # the bench logs in with plain POSTs
        "DEMO_MODE": False,
        "PROPAGATE_EXCEPTIONS": True,
    })


def remove_sqlite(db_url: str) -> None:
    if db_url.startswith("sqlite:///"):
        path = Path(db_url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)


def main(argv=None) -> int:
    args = parse_args(argv)
    # SIGTERM (e.g. from scripts/bench.sh) unwinds like Ctrl-C, so the worker subprocess is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    db_url = database_url()
    redis = redis_url(required=not args.skip_worker)
    if not args.reuse:
        remove_sqlite(db_url)
        shutil.rmtree(OUT / "archive", ignore_errors=True)

    from dangjian.extensions import db

    from . import pages, seed, worker

    app = make_app(db_url, redis)
    dialect = db_url.split(":", 1)[0]
    log(f"==> bench database: {dialect} ({'reused' if args.reuse else 'fresh'}); Redis: {redis or '—'}")

    # ---------------------------------------------------------------- seed
    with app.app_context():
        seeded = None
        if args.reuse:
            try:
                have = seed.counts()
            except Exception:
                db.session.rollback()
                have = {}
        if not args.reuse or not have.get("requests"):
            scale = seed.Scale().scaled(args.scale) if args.scale != 1 else seed.Scale()
            log(f"==> seeding {scale.secondaries} secondary units, {scale.branches} branches, "
                f"{scale.members:,} members, {scale.past_requests:,} past requests")
            seed.reset_schema()
            seeded = seed.seed(scale, log=log)
            have = seed.counts()
            log(f"    seeded in {seeded.seconds:.1f} s")
        db.session.remove()

    results: dict = {"counts": have, "seed_seconds": seeded.seconds if seeded else None,
                     "load": [os.getloadavg()[0]]}

    # ---------------------------------------------------------------- HTTP (gunicorn + wrk)
    if not args.skip_http:
        from . import throughput
        results["http"] = throughput.measure(db_url, redis, OUT, seed.BENCH_USERS["school"], seed.PASSWORD,
                                       seconds=args.http_seconds, log=log)
        results["load"].append(os.getloadavg()[0])

    # ---------------------------------------------------------------- pages
    if not args.skip_pages:
        timed = pages.instrument(app)
        users = pages.bench_users(app)
        results["inbox_sizes"] = pages.inbox_sizes(app, users)
        results["pages"] = {}
        for page in ("inbox", "request", "done"):
            for u in users:
                log(f"==> {page} page as {u.username}: {args.warmup} warm-up + {args.page_runs} timed")
                results["pages"][(page, u.key)] = pages.measure(app, timed, u, page, args.page_runs, args.warmup)
        results["users"] = users
        if args.profile:
            for page in ("inbox", "request"):
                for u in users:
                    path = pages.profile(app, u, page, max(50, args.page_runs // 2), OUT)
                    log(f"    profile: {path.relative_to(ROOT)}")

    # ---------------------------------------------------------------- worker
    if not args.skip_worker:
        with app.app_context():
            from dangjian.queue import documents_queue
            documents_queue().empty()
        (OUT / "archive").mkdir(parents=True, exist_ok=True)
        results["load"].append(os.getloadavg()[0])
        w = worker.WorkerProcess(db_url, redis, QUEUE, OUT / "archive", OUT / "worker.log")
        school_id, pending_ids = worker.school_pending(app, seed.BENCH_USERS["school"], args.pdf_runs + 1)
        downloader = app.test_client()
        pages.login(downloader, seed.BENCH_USERS["school"])

        def downloadable(doc_id: int) -> bool:
            resp = downloader.get(f"/documents/{doc_id}/download")
            return resp.status_code == 200 and resp.data[:5] == b"%PDF-"

        log(f"==> starting `flask worker` (log: {(OUT / 'worker.log').relative_to(ROOT)})")
        w.start()
        try:
            t = time.perf_counter()
            warm = worker.approve_to_pdf(app, w, school_id, pending_ids[:1], timeout=180)
            log(f"    warm: first approval → PDF in {time.perf_counter() - t:.1f} s (worker start included)")
            if warm.failures:
                raise SystemExit(f"the warm-up render failed: {warm.failures[0]}")
            log(f"==> final approval → PDF, {args.pdf_runs} times")
            results["pdf"] = worker.approve_to_pdf(app, w, school_id, pending_ids[1:], check_download=downloadable)
            log(f"==> worker memory over {args.renders} renders")
            results["memory"] = worker.memory_over_renders(app, w, args.renders, log=log)
        finally:
            w.stop()

    # ---------------------------------------------------------------- Excel import
    if not args.skip_imports:
        from . import imports
        results["load"].append(os.getloadavg()[0])
        results["imports"] = imports.measure(app, OUT, args.import_members, log=log)

    # ---------------------------------------------------------------- document sizes
    if not args.skip_documents:
        from . import documents
        results["load"].append(os.getloadavg()[0])
        results["documents"] = documents.measure(OUT, log=log)

    results["seconds"] = time.perf_counter() - started
    results["load"].append(os.getloadavg()[0])
    print_report(results, db_url)
    return 0


def print_report(results, db_url) -> None:
    from . import report
    from .stats import ms

    counts = results["counts"]
    print()
    print(f"党建关怀 bench · {datetime.now():%Y-%m-%d %H:%M} · Python {platform.python_version()} · "
          f"{os.cpu_count()} CPUs · {db_url.split(':', 1)[0]}")
    loads = results["load"]
    print("Load average (1 min) at the start of each phase and at the end: "
          + " / ".join(f"{x:.1f}" for x in loads))
    if max(loads) > (os.cpu_count() or 1):
        print(f"WARNING: the machine was busy (load above {os.cpu_count()} CPUs): other processes competed "
              "for the CPUs, so tails (p95, max) are inflated. Run again on a quiet machine.")
    seed_s = results.get("seed_seconds")
    print(f"Seeded: {counts.get('organizations', 0):,} organizations, {counts.get('members', 0):,} members, "
          f"{counts.get('users', 0):,} accounts, {counts.get('requests', 0):,} requests "
          f"({counts.get('pending', 0):,} pending), {counts.get('timeline_entries', 0):,} timeline rows"
          + (f" in {seed_s:.1f} s" if seed_s else " (reused)"))
    rows = []
    if "pages" in results:
        sizes = results["inbox_sizes"]
        print("Benchmark users (待办 waiting / requests acted on): " + ", ".join(
            f"{u.username} {sizes['todo'][u.key]}/{sizes['done'][u.key]:,}" for u in results["users"]))
        # 已办 is not named in the figures, but "inbox pages: p95 < 50 ms" covers it too.
        names = {"inbox": "待办 inbox", "request": "request page", "done": "已办 inbox (extra)"}
        for (page, key), sample in results["pages"].items():
            label = f"{names[page]} · {pages_label(key)}"
            rows.append(report.page_row(label, sample, report.PAGE_P95_TARGET))
    pdf = results.get("pdf")
    if pdf is not None:
        t = pdf.total
        ok = bool(t.seconds) and t.median < report.PDF_MEDIAN_TARGET and not pdf.failures
        rows.append(["final approval → PDF", str(len(t.seconds)), ms(t.median), ms(t.p95), ms(t.max), "—", "—",
                     "median < 1000 ms", report.verdict(ok)])
        for label, s in (("  of which: approve+commit+enqueue", pdf.approve),
                         ("  of which: queue wait + fork", pdf.queue_wait),
                         ("  of which: render + archive", pdf.render)):
            rows.append([label, str(len(s.seconds)), ms(s.median), ms(s.p95), ms(s.max), "—", "—", "(info)", "—"])
    if rows:
        print()
        print(report.table(["measure", "n", "median", "p95", "max", "CPU med", "SQL", "target", "result"], rows))
        print("(server time per request, in-process; CPU med: median CPU time of the serving thread; "
              "SQL: statements per request)")
    if pdf is not None:
        print(f"PDF downloads checked (200, %PDF-): {pdf.downloads_ok}/{len(pdf.total.seconds)}"
              + (f"; failures: {pdf.failures[:2]}" if pdf.failures else ""))
    mem = results.get("memory")
    if mem is not None:
        marks = report.checkpoints(mem.renders)
        horses = mem.horses
        print()
        print(f"Worker memory over {mem.renders} renders ({mem.done} done, {mem.failed} failed, "
              f"{len(horses)} work-horses seen, {mem.seconds:.0f} s, "
              f"{mem.done / mem.seconds if mem.seconds else 0:.1f} PDF/s):")
        mrows = []
        for k in marks:
            h = horses[k - 1] if k <= len(horses) else None
            mrows.append([f"render {k}", report.mb(h.parent_kb_at_end if h else None),
                          report.mb(h.peak_kb if h else None)])
        print(report.table(["", "parent RSS", "work-horse peak RSS"], mrows))
        ok, parent_growth, peak_growth = report.memory_flat(horses, marks)
        print(f"worker memory flat (render {marks[1] if len(marks) > 1 else 1}→{marks[-1]}: parent "
              f"{parent_growth:+.1f} MB, horse peak {peak_growth:+.1f} MB; flat = both < "
              f"{report.MEMORY_FLAT_MB:.0f} MB): {report.verdict(ok)}")
        if mem.errors:
            print(f"render errors: {mem.errors}")
    if "http" in results:
        from .throughput import report_lines as http_lines
        print("\n".join(http_lines(results["http"])))
    if "imports" in results:
        from .imports import report_lines
        print("\n".join(report_lines(results["imports"])))
    if "documents" in results:
        from .documents import report_lines as document_lines
        print("\n".join(document_lines(results["documents"])))
    print(f"\nTotal bench time {results['seconds']:.0f} s. Figures vary by about 30% from run to run.")


def pages_label(key: str) -> str:
    from .pages import ROLE_LABELS
    return ROLE_LABELS[key]


if __name__ == "__main__":
    sys.exit(main())
