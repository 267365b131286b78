"""Command-line entry points: `flask demo ...`, `flask worker`, `flask ticker`, `flask documents ...`."""
import logging
import time

import click
from flask import current_app
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="演示数据 Demo data.")
documents_cli = AppGroup("documents", help="文档任务 Document jobs.")


@demo_cli.command("load")
def demo_load():
    """Load the demo organization, members and accounts, only into an empty database."""
    from .demo import load_demo
    if load_demo():
        click.echo("演示数据已载入。")
    else:
        click.echo("数据库中已有数据，跳过演示数据。")


@demo_cli.command("accounts")
def demo_accounts():
    """Print the demo accounts (development only)."""
    from .demo import DEMO_ACCOUNTS, DEMO_PASSWORD
    click.echo("演示账号（密码均为 %s）：" % DEMO_PASSWORD)
    for username, role, who in DEMO_ACCOUNTS:
        click.echo(f"  {username:<16} {role:<14} {who}")


@documents_cli.command("sweep")
@click.option("--stuck-after", type=int, default=None,
              help="Re-enqueue pending documents enqueued more than this many seconds ago "
                   "(default: DOCUMENT_STUCK_AFTER_SECONDS).")
def documents_sweep(stuck_after):
    """Re-enqueue pending and stuck documents (e.g. after Redis was down)."""
    from .documents.jobs import sweep
    ids = sweep(stuck_after)
    click.echo(f"已重新排队 {len(ids)} 个文档：{ids}" if ids else "没有需要重新排队的文档。")


@documents_cli.command("retry")
@click.argument("document_ids", type=int, nargs=-1)
@click.option("--all-failed", is_flag=True, help="Retry every failed document.")
def documents_retry(document_ids, all_failed):
    """Put failed documents back on the queue (after fixing the cause)."""
    from .documents.jobs import failed_document_ids, retry_failed
    ids = list(document_ids) + (failed_document_ids() if all_failed else [])
    if not ids:
        raise click.UsageError("请指定文档编号，或使用 --all-failed")
    refused = []
    for doc_id in dict.fromkeys(ids):
        if retry_failed(doc_id):
            click.echo(f"文档 {doc_id} 已重新排队。")
        else:
            refused.append(doc_id)
            click.echo(f"文档 {doc_id} 不是生成失败的文档，未处理。", err=True)
    if refused:
        raise SystemExit(1)


def _configure_logging() -> None:
    # The pid tells the worker from its forked work-horses.
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    # WeasyPrint's progress and fontTools' subsetting chatter at INFO; keep their warnings.
    for name in ("weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queues are empty.")
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="Also run RQ's scheduler (for scheduled jobs and retries).")
def worker_command(burst, scheduler):
    """Run an RQ fork worker for the background jobs (config from the app factory).

    The parent renders once before it starts (WeasyPrint, Pango and the CJK fonts loaded), so each
    forked work-horse starts warm. Each job runs in a fresh app context; a work-horse drops the
    database connections it inherited before it uses the database (dangjian.queue).
    """
    from rq import Worker
    from sqlalchemy import func, select

    from .documents.render import preload
    from .extensions import db
    from .models import Document, DocumentStatus
    from .queue import all_queue_names, redis_connection

    _configure_logging()
    log = logging.getLogger("dangjian.worker")
    # Fail now on a wrong DATABASE_URL rather than in every job, and say what is waiting.
    with current_app.app_context():
        waiting = db.session.scalar(select(func.count()).select_from(Document).where(
            Document.status.in_((DocumentStatus.PENDING, DocumentStatus.RENDERING))))
    for engine in db.engines.values():
        engine.dispose()  # the parent holds no connection when it forks
    preload()
    queues = all_queue_names()
    log.info("worker for queues %s: WeasyPrint preloaded, %d document(s) pending or rendering",
             queues, waiting)
    worker = Worker(queues, connection=redis_connection())
    worker.work(burst=burst, with_scheduler=scheduler, logging_level="INFO")


@click.command("ticker")
@click.option("--every", default=30, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True, help="One round, then exit.")
def ticker_command(every, once):
    """Periodic housekeeping: re-enqueue documents and notifications that went missing (e.g. Redis
    was down), send the day's 每日汇总 e-mails from NOTIFY_DIGEST_HOUR on, move members' current
    月缴党费 to a rate whose month has begun, remind the holders of overdue steps (once a day, from
    OVERDUE_REMIND_HOUR on), move steps nobody can act on any more (a role ended, an account
    disabled) to a fallback, and run the request types' periodic tasks (e.g. closing 公示 periods)."""
    from . import plugins
    from .documents.jobs import sweep
    from .notifications.jobs import digest_tick, sweep_events
    from .org.operations import refresh_current_dues
    from .workflow.reminders import remind_overdue
    from .workflow.routing import reroute_stuck

    _configure_logging()
    log = logging.getLogger("dangjian.ticker")
    app = current_app._get_current_object()
    while True:
        for task in (sweep, sweep_events, digest_tick, refresh_current_dues, remind_overdue, reroute_stuck,
                     *plugins.periodic_tasks()):
            try:
                with app.app_context():  # a fresh session per task, closed when it ends
                    done = task()
                if done:
                    log.info("%s: %s", task.__name__, done)
            except Exception:  # keep ticking (database or Redis down): the next round retries
                log.exception("%s failed", task.__name__)
        if once:
            return
        time.sleep(every)


def register_cli(app) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(documents_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(ticker_command)
    from .accounts.cli import users_cli  # flask users create-admin ...
    app.cli.add_command(users_cli)
    from .org.imports.cli import import_cli  # flask import members|organizations|accounts FILE
    app.cli.add_command(import_cli)
