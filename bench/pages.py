"""Server time of the 待办 inbox and of a request page, in-process against the real app.

Each page is fetched with the Flask test client as a logged-in user, and timed by a WSGI
middleware from the call into the app until the whole body is produced: routing, login, the SQL,
the templates and the teardown (the session is removed after every request, as in production).

No app context may be active around the client calls: Flask would reuse it for every request,
and with it one SQLAlchemy session whose identity map would serve later requests from memory.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event, func, select

from dangjian.extensions import db
from dangjian.inbox import todo_condition
from dangjian.models import Request, RequestState, TimelineEntry, User
from dangjian.scope import visible_requests

from .seed import BENCH_USERS, PASSWORD
from .stats import Sample

ROLE_LABELS = {"branch": "支部书记", "secondary": "二级党组织", "school": "校党委"}


class TimedApp:
    """WSGI middleware: the server time of the last request (wall clock, and this thread's CPU time:
    a wall time far above the CPU time means waiting, for the database or for a busy machine), and
    how many SQL statements it ran."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last_seconds = 0.0
        self.last_cpu = 0.0
        self.queries = 0

    def __call__(self, environ, start_response):
        self.queries = 0
        t0, c0 = time.perf_counter(), time.thread_time()
        body_iter = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close:
                close()  # runs the request teardown (session removal) inside the timing
        self.last_seconds = time.perf_counter() - t0
        self.last_cpu = time.thread_time() - c0
        return [body]


def instrument(app) -> TimedApp:
    timed = TimedApp(app.wsgi_app)
    app.wsgi_app = timed
    with app.app_context():
        @event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_args):
            timed.queries += 1
    return timed


@dataclass
class BenchUser:
    key: str  # branch / secondary / school
    username: str
    user_id: int
    request_ids: list[int]  # request pages to cycle through: some in the inbox, some closed

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.key]


def bench_users(app, per_user: int = 20, rng_seed: int = 7) -> list[BenchUser]:
    """The three benchmark accounts and, for each, request pages inside their scope."""
    rng = random.Random(rng_seed)
    found = []
    with app.app_context():
        for key, username in BENCH_USERS.items():
            user = db.session.scalar(select(User).where(User.username == username))
            if user is None:
                raise SystemExit(f"bench user {username!r} is missing: reseed (run without --reuse)")
            inbox = list(db.session.scalars(
                select(Request.id).where(todo_condition(user))
                .order_by(Request.step_entered_at, Request.id).limit(per_user // 2)))
            # Closed requests with a full timeline, as someone opens them from 已办 or a search.
            closed = list(db.session.scalars(
                select(Request.id).where(visible_requests(user), Request.state == RequestState.APPROVED)
                .order_by(Request.id.desc()).limit(500)))
            picked = inbox + rng.sample(closed, min(per_user - len(inbox), len(closed)))
            found.append(BenchUser(key, username, user.id, picked))
        db.session.remove()
    return found


def login(client, username: str) -> None:
    resp = client.post("/login", data={"username": username, "password": PASSWORD})
    if resp.status_code != 302:
        raise SystemExit(f"login as {username} failed ({resp.status_code}); is CSRF disabled for the bench?")


def _get(client, url: str) -> None:
    resp = client.get(url)
    if resp.status_code != 200:
        raise SystemExit(f"GET {url} answered {resp.status_code}:\n{resp.get_data(as_text=True)[:800]}")


def measure(app, timed: TimedApp, user: BenchUser, page: str, runs: int, warmup: int) -> Sample:
    """`runs` timed GETs of one page kind after `warmup` untimed ones."""
    urls = _urls(user, page)
    client = app.test_client()
    login(client, user.username)
    sample = Sample(f"{page}:{user.key}")
    for i in range(warmup):
        _get(client, urls[i % len(urls)])
    for i in range(runs):
        _get(client, urls[i % len(urls)])
        sample.seconds.append(timed.last_seconds)
        sample.cpu.append(timed.last_cpu)
        sample.queries.append(timed.queries)
    return sample


def _urls(user: BenchUser, page: str) -> list[str]:
    if page == "inbox":
        return ["/inbox/todo"]
    if page == "done":
        return ["/inbox/done"]
    if page == "request":
        return [f"/requests/{rid}" for rid in user.request_ids]
    raise ValueError(page)


def inbox_sizes(app, users: list[BenchUser]) -> dict[str, int]:
    """How many requests wait in each benchmark user's 待办 (the inbox shows 20 per page)."""
    from dangjian.inbox import todo_count
    with app.app_context():
        sizes = {u.key: todo_count(db.session.get(User, u.user_id)) for u in users}
        done_sizes = {u.key: db.session.scalar(
            select(func.count(func.distinct(TimelineEntry.request_id))).where(TimelineEntry.actor_id == u.user_id))
            for u in users}
        db.session.remove()
    return {"todo": sizes, "done": done_sizes}


def profile(app, user: BenchUser, page: str, runs: int, out_dir: Path) -> Path:
    """Profile `runs` requests of one page (pyinstrument when installed, else cProfile)."""
    urls = _urls(user, page)
    client = app.test_client()
    login(client, user.username)
    for url in urls[:5]:
        _get(client, url)
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        from pyinstrument import Profiler
    except ImportError:
        Profiler = None
    if Profiler is not None:
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for i in range(runs):
            _get(client, urls[i % len(urls)])
        profiler.stop()
        path = out_dir / f"profile-{page}-{user.key}.txt"
        path.write_text(profiler.output_text(unicode=True, color=False, show_all=False))
        (out_dir / f"profile-{page}-{user.key}.html").write_text(profiler.output_html())
        return path
    import cProfile
    import io
    import pstats
    prof = cProfile.Profile()
    prof.enable()
    for i in range(runs):
        _get(client, urls[i % len(urls)])
    prof.disable()
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(40)
    path = out_dir / f"profile-{page}-{user.key}.txt"
    path.write_text(buf.getvalue())
    return path
