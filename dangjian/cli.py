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
def documents_sweep():
    """Re-enqueue pending and stuck documents."""
    from .documents.jobs import sweep
    ids = sweep()
    click.echo(f"re-enqueued {len(ids)} document(s): {ids}")


@documents_cli.command("retry")
@click.argument("document_id", type=int)
def documents_retry(document_id):
    """Put a failed document back on the queue."""
    from .documents.jobs import retry_failed
    click.echo("queued" if retry_failed(document_id) else "not a failed document")


def _worker(burst: bool) -> None:
    from rq import Worker

    from .documents.render import preload
    from .queue import redis_connection
    # Render once in the parent so each forked work-horse starts with fonts and WeasyPrint warm.
    preload()
    worker = Worker([current_app.config["RQ_QUEUE"]], connection=redis_connection())
    worker.work(burst=burst, with_scheduler=True, logging_level="INFO")


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit when the queue is empty.")
def worker_command(burst):
    """Run an RQ worker for document jobs (config from the app factory)."""
    _worker(burst)


@click.command("ticker")
@click.option("--every", default=30, show_default=True, help="Seconds between rounds.")
@click.option("--once", is_flag=True)
def ticker_command(every, once):
    """Periodic housekeeping: re-enqueue documents that went missing (e.g. Redis was down)."""
    from .documents.jobs import sweep
    from .extensions import db
    log = logging.getLogger("dangjian.ticker")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s ticker %(message)s")
    while True:
        try:
            ids = sweep()
            if ids:
                log.info("re-enqueued documents %s", ids)
        except Exception:  # keep ticking: the next round retries
            log.exception("sweep failed")
            db.session.rollback()
        finally:
            db.session.remove()
        if once:
            return
        time.sleep(every)


def register_cli(app) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(documents_cli)
    app.cli.add_command(worker_command)
    app.cli.add_command(ticker_command)
