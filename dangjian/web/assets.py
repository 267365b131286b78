"""How pages and static files travel: compressed, and static files cached for a year when their
URL carries their version (issue 7 §6).

- Compression (Flask-Compress): HTML (pages and htmx partials), CSS, JS and JSON, when the browser
  asks for it (Accept-Encoding). Downloads are left alone: .xlsx, PDFs and images are compressed
  formats already and are not in the list.
- Versions: `url_for('static', filename=...)` adds `?v=<first 12 hex digits of the file's SHA-256>`.
  A request whose `v` is the file's current version gets `Cache-Control: public, max-age=31536000,
  immutable`, so a browser never asks again; a changed file gets a new URL. Anything else under
  /static (no `v`, or an old one) gets a short lifetime, so a stale copy lives minutes at most.
"""
import hashlib
import os

from flask import request
from flask_compress import Compress
from werkzeug.security import safe_join

LONG_MAX_AGE = 365 * 24 * 3600
SHORT_MAX_AGE = 300

COMPRESSED_TYPES = ["text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                    "text/plain", "image/svg+xml"]


class StaticVersions:
    """File name → version, read again only when the file's size or modification time changes."""

    def __init__(self, folder: str):
        self.folder = folder
        self._known: dict[str, tuple[tuple[int, int], str]] = {}

    def __call__(self, filename: str) -> str | None:
        path = safe_join(self.folder, filename)
        if path is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        known = self._known.get(filename)
        if known and known[0] == stamp:
            return known[1]
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 16), b""):
                digest.update(chunk)
        version = digest.hexdigest()[:12]
        self._known[filename] = (stamp, version)
        return version


def init_app(app) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", COMPRESSED_TYPES)
    # Browsers on plain http offer gzip and deflate; over https also br (and zstd).
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip", "deflate"])
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    Compress(app)  # one per app: it keeps its settings on the instance

    versions = StaticVersions(app.static_folder)
    app.extensions["static_versions"] = versions

    @app.url_defaults
    def static_version(endpoint, values):
        if endpoint == "static" and "v" not in values and "filename" in values:
            version = versions(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def static_cache(resp):
        if request.endpoint != "static" or resp.status_code not in (200, 304):
            return resp
        wanted = request.args.get("v")
        current = versions(request.view_args.get("filename", "")) if wanted else None
        cc = resp.cache_control
        cc.no_cache = None
        cc.public = True
        if wanted and wanted == current:
            cc.max_age = LONG_MAX_AGE
            cc.immutable = True
        else:
            cc.max_age = SHORT_MAX_AGE
        return resp
