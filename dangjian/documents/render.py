"""HTML → PDF with WeasyPrint, for the documents the worker generates (审批表, 决定, 通知).

Only the background worker calls this; a web request never renders a PDF.

Three guarantees, each from a measured problem (see TECH-NOTES.md):

* **No missing glyphs.** WeasyPrint only *logs* ``.notdef glyph rendered`` when no font has a
  character, and still writes a PDF with empty boxes. We watch its logger during the render and
  raise :class:`MissingGlyphError` instead, so such a PDF is never archived.
* **No network, no stray files.** Templates may load resources (``pdf.css``) from
  ``templates/pdf/`` only. Anything else stops the render with :class:`ResourceError`.
* **One FontConfiguration per process.** A new one per render leaks about 6 MB each time.
* **An archival file.** PDF/A-2b with its metadata (:mod:`.pdfa`), fonts subset to the glyphs used
  (:mod:`.fontsubset`: a 1-page form is about 60 KB instead of 350 KB), checked before it is returned:
  a file that is not what :func:`.pdfa.problems` expects raises :class:`NotArchivalError`.
"""
from __future__ import annotations

import logging
import re
import threading
from datetime import datetime, timezone
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import flask
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher

from . import fontsubset, pdfa
from .official import font_families

fontsubset.install()  # WeasyPrint subsets its fonts in one pass: ours cuts them down afterwards

log = logging.getLogger(__name__)

#: Folder of the PDF templates and of the only files a template may load.
PDF_TEMPLATE_DIR = (Path(__file__).resolve().parents[2] / "templates" / "pdf").resolve()


class PdfRenderError(Exception):
    """A PDF could not be rendered as it must be; nothing should be archived."""


class MissingGlyphError(PdfRenderError):
    """No installed font has a character of the document (WeasyPrint drew .notdef)."""


class ResourceError(PdfRenderError):
    """The template tried to load a resource that is refused or does not exist."""


class NotArchivalError(PdfRenderError):
    """The PDF came out without what the archive requires (PDF/A-2b, metadata, embedded fonts)."""


# --- fonts -----------------------------------------------------------------------------------

_font_config: FontConfiguration | None = None
_font_config_lock = threading.Lock()


def font_config() -> FontConfiguration:
    """The process-wide FontConfiguration, created on first use.

    A forked RQ work-horse inherits the parent's instance (and its warm font caches) when the
    parent called :func:`preload` before forking.
    """
    global _font_config
    if _font_config is None:
        with _font_config_lock:
            if _font_config is None:
                _font_config = FontConfiguration()
    return _font_config


# --- resources -------------------------------------------------------------------------------

class RestrictedURLFetcher(URLFetcher):
    """Serves ``file://`` URLs inside ``root`` and refuses everything else.

    ``fail_on_errors=True`` makes WeasyPrint stop the render on any refused or missing resource
    (it raises ``FatalURLFetchingError``) instead of logging and carrying on without the CSS.
    """

    def __init__(self, root: Path = PDF_TEMPLATE_DIR):
        super().__init__(allowed_protocols={"file"}, fail_on_errors=True)
        self.root = Path(root).resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise ResourceError(f"PDF 模板不得引用外部资源：{url}")
        path = Path(url2pathname(parts.path)).resolve()  # resolves "..", symlinks
        if not path.is_relative_to(self.root):
            raise ResourceError(f"PDF 模板只能引用 templates/pdf/ 内的文件：{url}")
        if not path.is_file():
            raise ResourceError(f"PDF 模板引用的文件不存在：{url}")
        return super().fetch(path.as_uri(), headers)


# --- log watching ----------------------------------------------------------------------------

_WEASYPRINT_LOGGER = logging.getLogger("weasyprint")
_fonttools_fallback_reported = False


class _Collector(logging.Handler):
    """Keeps the WeasyPrint warnings emitted by this thread during one render."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        if record.thread == self.thread:  # a render in another thread is not ours
            self.records.append(record)


@contextmanager
def _watch_weasyprint_log():
    collector = _Collector()
    old_level = _WEASYPRINT_LOGGER.level
    if not _WEASYPRINT_LOGGER.isEnabledFor(logging.WARNING):
        # The glyph check depends on these warnings; never let logging config silence them.
        _WEASYPRINT_LOGGER.setLevel(logging.WARNING)
    _WEASYPRINT_LOGGER.addHandler(collector)
    try:
        yield collector.records
    finally:
        _WEASYPRINT_LOGGER.removeHandler(collector)
        _WEASYPRINT_LOGGER.setLevel(old_level)


def _check_log(records: list[logging.LogRecord], html: str) -> None:
    global _fonttools_fallback_reported
    missing: list[str] = []
    for record in records:
        message = record.getMessage()
        if ".notdef" in message or "glyph" in message:
            # ".notdef glyph rendered …" has args (char, codepoint); other glyph warnings
            # (broken font data) fail too, with WeasyPrint's own message.
            char = record.args[0] if isinstance(record.args, tuple) and record.args else None
            if ".notdef" in message and isinstance(char, str) and len(char) == 1:
                missing.append(_describe_missing(char, html))
            else:
                missing.append(message)
        elif "Using fontTools instead of HarfBuzz-Subset" in message:
            # Correct output, ~20× slower (libharfbuzz-subset0 missing). Say so once per process.
            if not _fonttools_fallback_reported:
                _fonttools_fallback_reported = True
                log.warning("PDF fonts are subset with fontTools, which is slow: "
                            "install libharfbuzz-subset0. (%s)", message)
    if missing:
        raise MissingGlyphError("PDF 中有字体无法显示的字符：" + "；".join(dict.fromkeys(missing))
                                + "。请修改申请中含有这些字符的文字，再由系统管理员运行 "
                                  "flask documents retry 重新生成")


_NOT_SHOWN = re.compile(r"<(style|script|head)\b.*?</\1\s*>", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")


def plain_text(html: str) -> str:
    """The words of an HTML document as a reader sees them: no tags, no styles, entities decoded."""
    return " ".join(unescape(_TAG.sub(" ", _NOT_SHOWN.sub(" ", html))).split())


def _describe_missing(char: str, html: str) -> str:
    """The character, its code point, and the words around its first use (to find the field).
    Words only, never markup: the message is shown on the request page."""
    text = f'"{char}"（U+{ord(char):04X}）'
    words = plain_text(html)
    at = words.find(char)
    if at >= 0:
        text += f"，出现在“{words[max(at - 12, 0):at + 13]}”"
    return text


# --- rendering -------------------------------------------------------------------------------

def render_pdf_string(html: str, metadata: pdfa.ArchiveMetadata | None = None) -> bytes:
    """Render an HTML string to PDF/A-2b bytes, with the guarantees of this module.

    Relative URLs (``href="pdf.css"``) resolve against ``templates/pdf/``. ``metadata`` replaces
    what the HTML says (``<title>``); without it, the title is the HTML's and the other fields
    are left empty, which :func:`.pdfa.problems` refuses: only :func:`preload` does that.
    """
    with _watch_weasyprint_log() as records:
        try:
            html_doc = HTML(string=html, base_url=str(PDF_TEMPLATE_DIR) + "/",
                            url_fetcher=RestrictedURLFetcher())
            document = html_doc.render(font_config=font_config(), pdf_variant=pdfa.VARIANT)
            if metadata is not None:
                metadata.apply(document.metadata)
            # Uncompressed: compact_fonts cuts the fonts down, then compresses every stream.
            pdf = document.write_pdf(pdf_variant=pdfa.VARIANT, uncompressed_pdf=True)
        except FatalURLFetchingError as exc:
            # A BaseException in WeasyPrint; turn it into an ordinary job failure.
            cause = exc.__cause__
            message = str(cause) if isinstance(cause, ResourceError) else f"PDF 模板的资源无法读取：{exc}"
            raise ResourceError(message) from exc
    _check_log(records, html)
    pdf = fontsubset.compact_fonts(pdf)
    if metadata is not None:
        problems = pdfa.problems(pdf)
        if problems:
            raise NotArchivalError("PDF 不符合 PDF/A-2b 归档要求：" + "；".join(problems))
    return pdf


def render_pdf(template_name: str, context: dict, metadata: pdfa.ArchiveMetadata | None = None) -> bytes:
    """Render a template of ``templates/pdf/`` with the current app's Jinja env, then to PDF.

    ``template_name`` may be given as ``"dues_waiver_form.html"`` or ``"pdf/dues_waiver_form.html"``.
    Needs an app context, for the app's filters (``yuan``, ``yuan_capital``, ``ym``, ``ymd``) and
    settings: ``fonts`` (the font families of the red-header documents) is added to the context.

    The template is rendered from ``current_app.jinja_env`` rather than ``flask.render_template``
    on purpose: that would also run the app's context processors, which are about the web request
    (the logged-in user, the inbox badge) and fail or query the database in a worker. A PDF
    depends on ``context`` alone.

    ``metadata``: the archive's metadata; by default it comes from the context's ``doc``
    (:func:`default_metadata`), so every document is a complete PDF/A-2b file.
    """
    if not template_name.startswith("pdf/"):
        template_name = f"pdf/{template_name}"
    app = flask.current_app
    context = {"fonts": font_families(app.config), **context}
    html = app.jinja_env.get_template(template_name).render(context)
    return render_pdf_string(html, metadata or default_metadata(context))


def default_metadata(context: dict) -> pdfa.ArchiveMetadata:
    """Metadata from what every PDF template gets: ``doc`` (title, number, generated_at)."""
    doc = context.get("doc") or {}
    title = doc.get("title") or "文档"
    number = doc.get("number") or ""
    generated = doc.get("generated_at")
    if generated is None:
        generated = datetime.now(timezone.utc)  # a context without a date: not an archived document
    return pdfa.ArchiveMetadata(
        title=f"{title}（{number}）" if number else title, author="党建关怀系统",
        subject=f"{title} {number}".strip(), keywords=[title, number],
        created=generated.astimezone(timezone.utc) if generated.tzinfo else generated)


_PRELOAD_HTML = """<!doctype html><html lang="zh-CN"><meta charset="utf-8">
<link rel="stylesheet" href="pdf.css"><p>党费减免审批表 ¥1,234.50 壹仟贰佰叁拾肆元伍角</p>"""


def preload() -> None:
    """Render a small Chinese document once, so fonts and Pango are warm.

    Call it in the RQ worker's parent process before it forks work-horses: each forked child
    then starts warm (a job takes about 0.7 s instead of 1.5 s). Needs no app context.
    """
    render_pdf_string(_PRELOAD_HTML)
