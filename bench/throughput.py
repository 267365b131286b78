"""Throughput over HTTP (issue 7 §6): the 待办 page of the 校党委 user, with filters in the query
string, against a bare Flask route rendering a small template, in the same run.

Both are served by gunicorn with 2 sync workers on 127.0.0.1 and loaded by wrk (2 threads, 16
connections, 10 s). The app is the real one (bench/serve.py, CSRF on): the bench signs in once
with a real GET + POST of the login form and gives wrk the session cookie with -H. Before and
after each series one request checks that the URL answers 200 with the page it should (a session
that had ended would answer a cheap redirect to the login page, and wrk would count it as served).

wrk sends no Accept-Encoding, so neither side pays for compression here: the figures compare the
work of building the page.
"""
from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_RATIO = 0.30  # the inbox reaches at least 30% of the bare route's throughput
WORKERS, THREADS, CONNECTIONS, SECONDS = 2, 2, 16, 10
# The 校党委 user's 待办 with every kind of filter the page has: a word (matched against 编号, names
# and organization names), type, state, a date range and a sort.
INBOX_FILTERS = {"q": "学院", "type": "dues_waiver", "state": "pending", "from": "2015-01-01", "to": "2099-12-31",
                 "sort": "oldest"}
INBOX_PATH = "/inbox/todo?" + urllib.parse.urlencode(INBOX_FILTERS)
# One browser: the sign-in, the checks and wrk send the same User-Agent. (Flask-Login's session
# protection marks a session whose client changed as not fresh, and its cookie is then rewritten on
# every response: a cost no real browser causes.)
USER_AGENT = "dangjian-bench"


@dataclass
class Run:
    name: str
    url: str
    requests_per_second: float = 0.0
    latency: dict = field(default_factory=dict)  # "50%" → "12.3ms" …, as wrk prints it
    requests: int = 0
    errors: str = ""  # socket errors and non-2xx/3xx responses, as wrk reports them
    checked: str = ""  # what the check before and after the series found
    load: float = 0.0  # the 1-minute load average when the series ended
    seconds: int = SECONDS


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """`gunicorn -w 2` (sync workers) serving `app_spec` on a free port, logs in bench/out/."""

    def __init__(self, app_spec: str, env: dict, log_path: Path):
        self.app_spec, self.env, self.log_path = app_spec, env, log_path
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Gunicorn":
        log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--worker-class", "sync",
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", self.app_spec],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn {self.app_spec} exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"gunicorn {self.app_spec} did not listen within 60 s; see {self.log_path}")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def sign_in(base: str, username: str, password: str) -> str:
    """Signs in as a browser would (GET the form, POST it with its CSRF token) and returns the
    session cookie as a Cookie header value."""
    jar = http.cookiejar.CookieJar()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    opener.addheaders = [("User-Agent", USER_AGENT)]
    html = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if not token:
        raise SystemExit("the login page has no csrf_token field")
    data = urllib.parse.urlencode({"csrf_token": token.group(1), "username": username,
                                   "password": password}).encode()
    try:
        resp = opener.open(urllib.request.Request(f"{base}/login", data=data), timeout=30)
        status, headers = resp.status, resp.headers
    except urllib.error.HTTPError as exc:
        status, headers = exc.code, exc.headers
    if status != 302:
        raise SystemExit(f"signing in as {username} answered {status}, not a redirect")
    # Land where the sign-in leads (/ → 待办), as a browser does: the first page creates the
    # session's CSRF secret, and the browser keeps the cookie that carries it.
    location = headers["Location"]
    for _ in range(3):
        try:
            landed = opener.open(urllib.parse.urljoin(base, location), timeout=30)
        except urllib.error.HTTPError as exc:
            if exc.code not in (301, 302, 303):
                raise SystemExit(f"after signing in, {location} answered {exc.code}") from None
            location = exc.headers["Location"]
            continue
        landed.read()
        break
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "session=" not in cookies:
        raise SystemExit(f"signing in as {username} set no session cookie")
    return cookies


def check(url: str, cookie: str | None, must_contain: str) -> str:
    """One GET: 200 and the expected text, or SystemExit. Returns a one-line description."""
    req = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **({"Cookie": cookie} if cookie else {})})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        resp = urllib.request.build_opener(NoRedirect).open(req, timeout=30)
    except urllib.error.HTTPError as exc:
        raise SystemExit(f"GET {url} answered {exc.code}, not 200") from None
    body = resp.read().decode()
    if resp.status != 200 or must_contain not in body:
        raise SystemExit(f"GET {url} answered {resp.status} without {must_contain!r}:\n{body[:600]}")
    return f"200, {len(body.encode()):,} bytes"


def wrk(url: str, cookie: str | None, seconds: int) -> tuple[float, dict, int, str]:
    # A generous timeout: on a busy machine a slow page still counts as served, not as an error.
    cmd = ["wrk", "--threads", str(THREADS), "--connections", str(CONNECTIONS), "--duration", f"{seconds}s",
           "--timeout", "30s", "--latency", "--header", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["--header", f"Cookie: {cookie}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    latency = dict(re.findall(r"^\s+(50%|75%|90%|99%)\s+(\S+)", out, re.M))
    errors = "; ".join(m.strip() for m in re.findall(r"^\s*(Socket errors:.*|Non-2xx or 3xx responses:.*)$", out, re.M))
    return rps, latency, total, errors


def measure(db_url: str, redis: str | None, out: Path, username: str, password: str,
            seconds: int = SECONDS, log=print) -> dict[str, Run]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: run `make bench` (it installs it), or apt-get install wrk")
    env = {**os.environ, "BENCH_DATABASE_URL": db_url, "BENCH_OUT": str(out),
           "PYTHONPATH": str(ROOT), "REDIS_URL": redis or "redis://127.0.0.1:1/0"}
    env.pop("DATABASE_URL", None)
    runs: dict[str, Run] = {}
    warm = max(2, seconds // 5)

    with Gunicorn("bench.bare:app", env, out / "gunicorn-bare.log") as server:
        run = Run("bare Flask route", f"{server.base}/", seconds=seconds)
        log(f"==> HTTP: {run.name}: wrk {THREADS} threads, {CONNECTIONS} connections, {warm} s warm-up + {seconds} s")
        before = check(run.url, None, "<ul>")
        wrk(run.url, None, warm)
        run.requests_per_second, run.latency, run.requests, run.errors = wrk(run.url, None, seconds)
        run.load = os.getloadavg()[0]
        run.checked = before
        runs["bare"] = run

    with Gunicorn("bench.serve:app", env, out / "gunicorn-app.log") as server:
        run = Run("待办 (校党委, filters)", server.base + INBOX_PATH, seconds=seconds)
        cookie = sign_in(server.base, username, password)
        log(f"==> HTTP: {run.name}: {urllib.parse.unquote(INBOX_PATH)}")
        before = check(run.url, cookie, 'id="inbox-item-')
        wrk(run.url, cookie, warm)
        run.requests_per_second, run.latency, run.requests, run.errors = wrk(run.url, cookie, seconds)
        run.load = os.getloadavg()[0]
        after = check(run.url, cookie, 'id="inbox-item-')
        run.checked = f"{before}; after the series: {after}"
        runs["inbox"] = run
    return runs


def report_lines(runs: dict[str, Run]) -> list[str]:
    from .report import table, verdict
    bare, inbox = runs["bare"], runs["inbox"]
    ratio = inbox.requests_per_second / bare.requests_per_second if bare.requests_per_second else 0.0
    rows = [[r.name, f"{r.requests_per_second:,.0f}", f"{r.requests:,}", r.latency.get("50%", "—"),
             r.latency.get("99%", "—"), f"{r.load:.1f}", r.errors or "none"] for r in (bare, inbox)]
    return [
        "",
        f"Throughput over HTTP: gunicorn {WORKERS} sync workers, wrk {THREADS} threads / {CONNECTIONS} "
        f"connections / {bare.seconds} s (after a warm-up), no compression:",
        table(["route", "req/s", "requests", "p50", "p99", "load", "errors"], rows),
        f"inbox URL: {urllib.parse.unquote(INBOX_PATH)}",
        f"checked before/after: {inbox.checked}",
        f"待办 / bare route = {ratio:.1%} (target ≥ {TARGET_RATIO:.0%}): {verdict(ratio >= TARGET_RATIO)}",
    ] + ([f"WARNING: load average {max(bare.load, inbox.load):.1f} on {os.cpu_count()} CPUs: other processes "
          "took CPU time from both servers; the ratio is the figure to read, and it too is blurred."]
         if max(bare.load, inbox.load) > (os.cpu_count() or 1) else [])
