"""Redis and RQ. Redis only carries messages: the database stays the truth."""
from flask import current_app
from redis import Redis
from rq import Queue


def redis_connection() -> Redis:
    url = current_app.config["REDIS_URL"]
    conn = current_app.extensions.get("dangjian_redis")
    if conn is None or current_app.extensions.get("dangjian_redis_url") != url:
        conn = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        current_app.extensions["dangjian_redis"] = conn
        current_app.extensions["dangjian_redis_url"] = url
    return conn


def documents_queue() -> Queue:
    return Queue(current_app.config["RQ_QUEUE"], connection=redis_connection())
