"""Redis and RQ. Redis only carries messages: the database stays the truth.

Jobs are declared with their queue and timeout where they are defined::

    @background_job(queue="documents", timeout=120)
    def render_document(document_id: int): ...

and enqueued with `enqueue(render_document, document_id)`. A job takes ids, never objects, and
runs inside a fresh app context (its own database session), in the `flask worker` work-horse or
in any other RQ worker. Queue names come from the config, so tests get a queue of their own.
"""
from __future__ import annotations

import functools
import logging
import os
from contextlib import contextmanager
from typing import Callable

from flask import Flask, current_app, has_app_context
from redis import Redis
from rq import Queue, get_current_job

#: Logical queue → the config key holding its Redis name (DANGJIAN_RQ_QUEUE and
#: DANGJIAN_NOTIFY_QUEUE override them).
QUEUE_SETTINGS = {"documents": "RQ_QUEUE", "notifications": "NOTIFY_QUEUE"}

# The process whose engine pools are safe to use; a forked work-horse differs (see _after_fork).
_pool_owner_pid = os.getpid()
_standalone_app: Flask | None = None


def redis_connection() -> Redis:
    url = current_app.config["REDIS_URL"]
    conn = current_app.extensions.get("dangjian_redis")
    if conn is None or current_app.extensions.get("dangjian_redis_url") != url:
        conn = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["dangjian_redis"] = conn
        current_app.extensions["dangjian_redis_url"] = url
    return conn


def queue_name(logical: str) -> str:
    return current_app.config[QUEUE_SETTINGS[logical]]


def get_queue(logical: str) -> Queue:
    return Queue(queue_name(logical), connection=redis_connection())


def all_queue_names() -> list[str]:
    return [queue_name(q) for q in QUEUE_SETTINGS]


def documents_queue() -> Queue:
    return get_queue("documents")


def background_job(*, queue: str, timeout: int):
    """Declare an RQ job: its logical queue and its timeout (seconds) live with the function."""
    if queue not in QUEUE_SETTINGS:
        raise ValueError(f"unknown queue {queue!r}")

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with job_app_context():
                return fn(*args, **kwargs)

        run.queue = queue
        run.timeout = timeout
        return run

    return decorate


def enqueue(job_fn: Callable, *args, description: str | None = None, retry=None):
    """Put one call of a declared job on its queue. Raises RedisError when Redis is down.
    `retry` (an rq.Retry) runs a failed job again after its intervals (the worker's scheduler,
    on in `flask worker`, moves it back to the queue)."""
    return get_queue(job_fn.queue).enqueue(job_fn, *args, job_timeout=job_fn.timeout,
                                           description=description or job_fn.__name__, retry=retry)


def current_job_id() -> str:
    job = get_current_job()
    return job.id if job else "-"


@contextmanager
def job_app_context():
    """A fresh app context per job, so each job has its own database session.

    Inside `flask worker` the app is the CLI's (inherited by the forked work-horse); a worker
    started some other way (`rq worker`) gets an app built once per process.
    """
    global _standalone_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _standalone_app is None:
            from . import create_app
            _standalone_app = create_app()
        app = _standalone_app
    with app.app_context():
        _after_fork()
        yield app


def _after_fork() -> None:
    """In a forked work-horse, drop the database connections inherited from the parent.

    Two processes must never share one connection (PostgreSQL's protocol stream, SQLite's file
    locks). `dispose(close=False)` forgets the parent's pooled connections without closing them
    (closing would end them for the parent too); the horse then opens its own.
    """
    global _pool_owner_pid
    pid = os.getpid()
    if pid == _pool_owner_pid:
        return
    from .extensions import db
    for engine in db.engines.values():
        engine.dispose(close=False)
    _pool_owner_pid = pid


class JobLog(logging.LoggerAdapter):
    """Prefixes each line with the RQ job id (and whatever `extra` names, e.g. the document)."""

    def process(self, msg, kwargs):
        tags = " ".join(f"{k}={v}" for k, v in self.extra.items())
        return f"[job {current_job_id()}{' ' + tags if tags else ''}] {msg}", kwargs
