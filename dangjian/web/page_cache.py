"""The rendered-page cache of the inbox lists (issue 7 §6): 待办, 已办, 我发起的, 抄送我的, their
htmx partials, as the signed-in user last got them, served again from Redis while nothing changed.

A view opts in with `@cacheable`. Its page is served from the cache when the same browser session
asks again for the same thing within the same minute and nothing was written to the database
since. The key:
- the session, whole (its version-carrying user id "<id>.<session_version>", the CSRF secret the
  page embeds, how and when it signed in), minus the last-seen stamp that moves on its own: two
  sessions never share a page, so never a CSRF token;
- the full URL with its query string, the htmx request headers (HX-Request, HX-Boosted, HX-Target,
  HX-History-Restore-Request, …; not HX-Current-URL, which no page reads) and Accept-Encoding;
- the global data version (dangjian.data_version), incremented after every committed write in
  every process: an approval, a new request, a comment, a finished document, a changed role;
- the current minute: labels derived from the clock (超期, 今天) lag a minute at most;
- the release: a hash of the code's and templates' files, so two releases never share a page.

The version is read before the page is built and the page stored under that version: a write that
commits meanwhile has already moved the version on, so the page can never be served.

Safety:
- The lookup runs before anything else, the sign-in guard included, and a hit never loads the
  signed-in user: that is most of what a hit would cost. It need not. The guard's checks that
  depend on the clock (idle and absolute timeouts, the session's stamps) are made here first, on
  the cookie: a session past them goes on to the guard, which ends it. Its checks that depend on
  the database (the session's version still current, the account active, no forced password
  change) held when the page was stored (otherwise no 200 page would have been built), and nothing
  was written to the database since, or the data version would have moved on: so they still hold.
  Under single sign-on the guard may switch the user from a proxy header: then the lookup runs
  after the guard, with the user loaded.
  A blueprint with its own before_request checks is never served from here (those checks would be
  skipped).
- What the data version's own limit means here (dangjian/data_version.py): a write whose increment
  Redis did not take in one process leaves the other processes serving their stored pages for what
  is left of the minute, a revoked session's own inbox included.
- Only GET, only a signed-in session, no pending flash message. A page is stored only when it
  answered 200 HTML, flashed nothing, set no cookie and left the session as it found it (the first
  page after sign-in creates the session's CSRF secret: it is not stored).
- Redis down, or an increment of this process owed: nothing is read or stored, the page is built.
- What is stored is the final response (compressed once, when the browser asked for it), with its
  headers; the security headers are applied again on a hit, the session cookie saved as usual.

What a cacheable view may depend on: the database, the session, the URL and htmx headers, the
clock to the minute. Not: config changed at run time, files, Redis state, other request headers.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from functools import lru_cache

from flask import Flask, current_app, g, request, session
from flask.globals import request_ctx
from flask_login import current_user
from redis.exceptions import RedisError

from .. import data_version
from ..accounts import sessions, sso

# Session keys left out of the key: the last-seen stamp is rewritten every half minute (and the
# refreshed cookie is still sent on a hit); flash messages never reach a cached page.
_VOLATILE_SESSION_KEYS = frozenset({"seen_at", "_flashes"})
_UNSTORED_HEADERS = frozenset({"content-length", "set-cookie", "date", "x-page-cache"})


def cacheable(view):
    """Mark a GET view whose answer depends only on the database, the session, the URL, the htmx
    headers and the clock to the minute (see the module's docstring)."""
    view.page_cache = True
    return view


@lru_cache(maxsize=None)
def _release(*roots: str) -> str:
    """A hash of the names, sizes and modification times of the files under `roots`, once per
    process: a new release (new code or templates) gets new keys."""
    digest = hashlib.blake2b(digest_size=8)
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__" and not d.startswith("."))
            for name in sorted(files):
                path = os.path.join(folder, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                digest.update(f"{os.path.relpath(path, root)}\0{st.st_size}\0{st.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def _session_digest() -> str:
    items = sorted((k, v) for k, v in session.items() if k not in _VOLATILE_SESSION_KEYS)
    return hashlib.blake2b(repr(items).encode(), digest_size=16).hexdigest()


# One round trip for a lookup: the data version, then the page stored under it. A missing version
# (a flushed Redis) is started from the clock, so it does not count again through numbers pages were
# stored under; nothing is served until it exists.
_LOOKUP = """
local version = redis.call('GET', KEYS[1])
if not version then
  redis.call('SET', KEYS[1], ARGV[2], 'NX')
  return false
end
return {version, redis.call('GET', ARGV[1] .. ':' .. version)}
"""


def _minute() -> int:
    return int(time.time() // 60)


def _key(app: Flask, session_digest: str) -> str:
    """The page's key, without the data version (the lookup appends it)."""
    environ = request.environ  # the URL as it came (request.url would decode and re-encode it)
    parts = [app.extensions["page_cache_release"], str(_minute()), session_digest, environ["wsgi.url_scheme"],
             environ.get("HTTP_HOST", ""), environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""),
             environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT_ENCODING", "")]
    parts += sorted(f"{k.lower()}={v}" for k, v in request.headers.items()
                    if k[:3].lower() == "hx-" and k.lower() != "hx-current-url")
    digest = hashlib.blake2b("\0".join(parts).encode(), digest_size=20).hexdigest()
    return f"{app.config['CACHE_NAMESPACE']}:page:{digest}"


def _eligible(app: Flask, before_guard: bool) -> bool:
    if request.method != "GET" or not app.config["PAGE_CACHE"] or "_flashes" in session:
        return False
    view = app.view_functions.get(request.endpoint)
    if view is None or not getattr(view, "page_cache", False):
        return False
    if any(app.before_request_funcs.get(name) for name in request.blueprints):
        return False
    if before_guard:
        # A signed-in cookie within its timeouts (the guard ends any other); the user is not loaded.
        return "_user_id" in session and sessions.expired() is None
    return current_user.is_authenticated


def _lookup_script(app: Flask, client):
    known = app.extensions.get("page_cache_script")
    if known is None or known[0] is not client:
        known = app.extensions["page_cache_script"] = (client, client.register_script(_LOOKUP))
    return known[1]


def lookup_before_guard():
    """before_request, first of all: the cached page, or None (then remember the key)."""
    if sso.enabled():
        return None  # lookup_after_guard
    return _lookup(before_guard=True)


def lookup_after_guard():
    """before_request, after the sign-in guard, under single sign-on only."""
    if not sso.enabled():
        return None
    return _lookup(before_guard=False)


def _lookup(before_guard: bool):
    app = current_app._get_current_object()
    if not _eligible(app, before_guard):
        return None
    versions = data_version.of(app)
    if not versions.settle():
        return None
    digest = _session_digest()
    key = _key(app, digest)
    client = versions.redis()
    try:
        found = _lookup_script(app, client)(keys=[versions.key], args=[key, time.time_ns() // 1000])
    except RedisError:
        return None
    if not found:
        return None
    version, blob = found
    if blob is None:
        g.page_cache_miss = (f"{key}:{version.decode()}", digest)
        return None
    head, _, body = blob.partition(b"\n")
    resp = app.response_class(body, status=200, headers=json.loads(head))
    resp.headers["X-Page-Cache"] = "hit"
    return resp


def store(resp):
    """after_request, the last one: keep the page as sent (compressed, with its headers)."""
    pending = g.pop("page_cache_miss", None)
    if pending is None:
        return resp
    key, digest = pending
    if (resp.status_code != 200 or resp.mimetype != "text/html" or resp.is_streamed or resp.direct_passthrough
            or "Set-Cookie" in resp.headers or request_ctx.flashes or "_flashes" in session
            or _session_digest() != digest):
        return resp
    app = current_app._get_current_object()
    body = resp.get_data()
    if len(body) > app.config["PAGE_CACHE_MAX_BYTES"]:
        return resp
    headers = [(k, v) for k, v in resp.headers.items() if k.lower() not in _UNSTORED_HEADERS]
    try:
        data_version.of(app).redis().set(key, json.dumps(headers).encode() + b"\n" + body,
                                         ex=app.config["PAGE_CACHE_SECONDS"])
    except RedisError:
        return resp
    resp.headers["X-Page-Cache"] = "miss"
    return resp


def init_app(app: Flask) -> None:
    """Call after the sign-in guard is registered. The lookup runs before every other before_request
    hook (or after the guard, under single sign-on); the store after every other after_request hook
    (compression included), so it keeps the final page."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app.extensions["page_cache_release"] = _release(root, app.template_folder)
    app.before_request_funcs.setdefault(None, []).insert(0, lookup_before_guard)
    app.before_request(lookup_after_guard)
    app.after_request_funcs.setdefault(None, []).insert(0, store)
