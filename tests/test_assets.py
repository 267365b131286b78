"""Pages, CSS and JS travel compressed; static files carry their version in the URL and are then
cached for a year; downloads (Excel) are never touched by the compression (issue 7 §6)."""
import gzip
import hashlib
import io
import re
import zlib
from pathlib import Path

import brotli
from openpyxl import load_workbook

from dangjian.web.assets import LONG_MAX_AGE, SHORT_MAX_AGE, StaticVersions
from tests.factories import new_waiver

STATIC = Path(__file__).resolve().parents[1] / "dangjian" / "static"
BROWSER_HTTP = "gzip, deflate"  # what Chromium offers over plain http
BROWSER_HTTPS = "gzip, deflate, br, zstd"


def decode(resp) -> bytes:
    data = resp.get_data()
    encoding = resp.headers.get("Content-Encoding")
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "deflate":
        return zlib.decompress(data)
    if encoding == "br":
        return brotli.decompress(data)
    assert encoding is None, encoding
    return data


def test_a_page_is_compressed_when_the_browser_accepts_it(app, org, auth, client):
    new_waiver(org.member)
    auth.login(org.secretary)
    plain = client.get("/inbox/todo")
    packed = client.get("/inbox/todo", headers={"Accept-Encoding": BROWSER_HTTP})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.get_data()) < len(plain.get_data()) / 2
    html = decode(packed).decode()
    assert "<h1 class=\"dj-page-title\">待办</h1>" in html and 'id="inbox-item-' in html
    assert packed.headers["Cache-Control"] == "no-store"  # a signed-in page is still never cached


def test_htmx_rows_are_compressed_and_keep_their_headers(app, org, auth, client):
    new_waiver(org.member)
    auth.login(org.secretary)
    resp = client.get("/inbox/todo?state=pending&sort=newest",
                      headers={"HX-Request": "true", "Accept-Encoding": BROWSER_HTTPS})
    assert resp.status_code == 200
    assert resp.headers["Content-Encoding"] == "br"
    assert resp.headers["HX-Push-Url"].startswith("/inbox/todo?")
    rows = decode(resp).decode()
    assert 'id="inbox-item-' in rows and "<html" not in rows


def test_css_and_js_are_compressed(app, client):
    for name in ("app.css", "app.js", "confirm.js"):
        url = re.search(rf'/static/{re.escape(name)}\?v=\w+', client.get("/login").get_data(as_text=True)).group(0)
        for accept, expected in ((BROWSER_HTTP, {"gzip", "deflate"}), (BROWSER_HTTPS, {"br"})):
            resp = client.get(url, headers={"Accept-Encoding": accept})
            assert resp.status_code == 200
            assert resp.headers["Content-Encoding"] in expected, (name, accept)
            assert decode(resp) == (STATIC / name).read_bytes()
            resp.close()


def test_excel_downloads_are_not_compressed(app, org, auth, client):
    new_waiver(org.member)
    auth.login(org.secretary)
    resp = client.get("/inbox/todo/export.xlsx", headers={"Accept-Encoding": BROWSER_HTTPS})
    assert resp.status_code == 200
    assert "Content-Encoding" not in resp.headers
    data = resp.get_data()
    assert data[:2] == b"PK"
    sheet = load_workbook(io.BytesIO(data)).active
    assert any("党费减免" in str(c.value) for row in sheet.iter_rows() for c in row)


def _versioned(client, name: str) -> str:
    html = client.get("/login").get_data(as_text=True)
    return re.search(rf'/static/{re.escape(name)}\?v=(\w+)', html).group(0)


def test_pages_link_static_files_by_their_content_version(app, client):
    for name in ("app.css", "app.js", "confirm.js"):
        url = _versioned(client, name)
        version = url.rsplit("=", 1)[1]
        assert version == hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]


def test_a_versioned_static_file_is_cached_for_a_year(app, org, auth, client):
    url = _versioned(client, "app.css")
    auth.login(org.secretary)  # signed in: static files are still cacheable, pages are not
    resp = client.get(url)
    assert resp.status_code == 200
    cc = resp.cache_control
    assert cc.max_age == LONG_MAX_AGE == 31536000 and cc.immutable and cc.public
    assert not cc.no_store and not cc.no_cache
    resp.close()


def test_unversioned_or_outdated_static_urls_get_a_short_lifetime(app, client):
    for url in ("/static/app.css", "/static/app.css?v=0123456789ab"):
        resp = client.get(url)
        assert resp.status_code == 200
        assert resp.cache_control.max_age == SHORT_MAX_AGE and not resp.cache_control.immutable, url
        resp.close()


def test_a_changed_file_gets_a_new_version(tmp_path):
    (tmp_path / "x.css").write_text("body { color: red }")
    versions = StaticVersions(str(tmp_path))
    first = versions("x.css")
    assert first == versions("x.css")
    (tmp_path / "x.css").write_text("body { color: blue; }")
    assert versions("x.css") not in (None, first)
    assert versions("missing.css") is None
    assert versions("../x.css") is None
