"""Which characters the PDF fonts can draw, so that a text nobody can print is refused at the form.

WeasyPrint only finds out at render time, in the worker, after all approvals, that no font has a
character (it draws ``.notdef``, and ``render.py`` fails the job). A form field checks the same
thing up front with :func:`unprintable`, against the cmaps of the fonts the PDF stylesheet names
(``templates/pdf/pdf.css``: Noto Serif CJK SC for the text, Noto Sans CJK SC for headings). Pango
falls back from one to the other, so a character either maps prints. The generic ``serif`` /
``sans-serif`` of the stylesheet are left out on purpose: they are whatever else is installed
(DejaVu here, which draws 😀 as a black-and-white face), not the document's fonts, and a 审批表
must not depend on them.

The families come from the ``PDF_FONT_FAMILIES`` setting when the app sets it (a university that
installs licensed fonts lists them there), else from :data:`DEFAULT_FONT_FAMILIES`. Each family is
resolved to its font file through fontconfig (``fc-match``), exactly as Pango finds it, and the
cmaps are read once per process with fontTools (about 0.6 s for a Noto CJK font).
"""
from __future__ import annotations

import functools
import logging
import subprocess
import threading

from fontTools.ttLib import TTFont

log = logging.getLogger(__name__)

#: The font families of templates/pdf/pdf.css: serif body text, sans headings.
DEFAULT_FONT_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC")

#: Characters a text field may hold although no font maps them: line breaks and tabs are layout.
LAYOUT_CHARACTERS = frozenset("\n\r\t")

_lock = threading.Lock()


class FontLookupError(RuntimeError):
    """fontconfig could not tell which file a PDF font family is (fontconfig not installed?)."""


def font_families() -> tuple[str, ...]:
    try:
        from flask import current_app
        configured = current_app.config.get("PDF_FONT_FAMILIES")
    except RuntimeError:  # no app context (a script, the worker's preload)
        configured = None
    return tuple(configured or DEFAULT_FONT_FAMILIES)


def _font_file(family: str) -> tuple[str, int]:
    """(path, index in a collection) of the font fontconfig picks for `family`."""
    try:
        out = subprocess.run(["fc-match", "--format=%{file}\t%{index}", family],
                             capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise FontLookupError(f"无法通过 fontconfig（fc-match）找到字体「{family}」：{exc}") from exc
    path, _, index = out.strip().partition("\t")
    if not path:
        raise FontLookupError(f"fontconfig 没有找到字体「{family}」")
    return path, int(index or 0)


@functools.lru_cache(maxsize=4)
def _code_points(families: tuple[str, ...]) -> frozenset[int]:
    points: set[int] = set()
    seen = set()
    for family in families:
        where = _font_file(family)
        if where in seen:
            continue
        seen.add(where)
        path, index = where
        font = TTFont(path, fontNumber=index, lazy=True) if path.lower().endswith((".ttc", ".otc")) \
            else TTFont(path, lazy=True)
        try:
            points.update(font.getBestCmap() or {})
        finally:
            font.close()
        log.info("PDF glyphs: %s → %s#%d", family, path, index)
    return frozenset(points)


def printable_code_points() -> frozenset[int]:
    """Every code point at least one PDF font maps (cached per process and list of families)."""
    families = font_families()
    with _lock:  # two first requests at once read the fonts once
        return _code_points(families)


def unprintable(text: str | None) -> list[str]:
    """The distinct characters of `text` that no PDF font can draw, in order of appearance."""
    if not text:
        return []
    points = printable_code_points()
    missing = [c for c in text if ord(c) not in points and c not in LAYOUT_CHARACTERS]
    return list(dict.fromkeys(missing))
