"""The red-header official documents (公文) of GB/T 9704-2012: 表彰决定, 公示, 核定通知 and any later
notice or decision. Their one layout is ``templates/pdf/official_base.html``; this module holds what
the layout cannot compute in CSS:

* the font families, from settings (the standard's 仿宋, 小标宋 and 楷体 are not free fonts: a
  university drops in its licensed fonts through configuration);
* the size of the 发文机关标志, so that it never wraps (GB/T 9704 lets it shrink to the type width);
* the 文号 in the standard's form 西财党发〔2026〕3号;
* :func:`official`, the block every red-header context gives the base template.
"""
from __future__ import annotations

import re
import unicodedata
from datetime import date

from markupsafe import Markup

from ..dates import cn_day
from .glyphs import DEFAULT_FONT_FAMILIES

#: The type area of GB/T 9704-2012 (mm) and its grid: 22 lines of 28 characters.
TYPE_WIDTH_MM = 156.0
TYPE_HEIGHT_MM = 225.0
LINES, CHARS = 22, 28
#: The largest 发文机关标志 (mm per character); a longer name shrinks below it to fit one line.
ORG_MARK_MAX_MM = 15.0

#: Settings key → (role, shipped default). The defaults are free fonts from Debian packages
#: (fonts-noto-cjk, fonts-lxgw-wenkai). Noto Serif CJK stands in for 仿宋 and, in bold, for 小标宋.
FONT_SETTINGS = {
    "PDF_FONT_FANGSONG": ("fangsong", "Noto Serif CJK SC"),      # 仿宋: body, 1. and (1) headings
    "PDF_FONT_XIAOBIAOSONG": ("xiaobiaosong", "Noto Serif CJK SC"),  # 小标宋: red header, title
    "PDF_FONT_HEITI": ("heiti", "Noto Sans CJK SC"),            # 黑体: 一、 headings
    "PDF_FONT_KAITI": ("kaiti", "LXGW WenKai"),                 # 楷体: （一） headings
    "PDF_FONT_SONGTI": ("songti", "Noto Serif CJK SC"),         # 宋体: page numbers
}
_UNSAFE = re.compile(r"[\"'\\;{}<>\x00-\x1f]")


def font_families(config) -> dict[str, Markup]:
    """CSS ``font-family`` values by role, from the settings (a comma-separated list of families each).

    Quotes and anything that could end the declaration are removed from the names, so the values
    are safe to write into a ``<style>`` element as they are (Markup: Jinja must not escape the
    quotes, which a style element would not decode)."""
    # Appended to every family list: a configured font that lacks a character (a rare name) falls
    # back to the fonts the forms check every text against (dangjian.documents.glyphs), so any text
    # a form accepted renders.
    fallback = tuple(config.get("PDF_FONT_FAMILIES") or DEFAULT_FONT_FAMILIES)
    out = {}
    for key, (role, default) in FONT_SETTINGS.items():
        names = [_UNSAFE.sub("", n).strip() for n in str(config.get(key) or default).split(",")]
        names = [n for n in names if n]
        names += [_UNSAFE.sub("", f).strip() for f in fallback if f not in names]
        out[role] = Markup(", ".join(f'"{n}"' for n in names) + (", sans-serif" if role == "heiti" else ", serif"))
    # Noto Serif CJK stands in for 小标宋 in its bold face; a real 小标宋 is heavy at its regular weight.
    out["title_weight"] = "700" if not config.get("PDF_FONT_XIAOBIAOSONG") else "400"
    return out


def text_width_em(text: str) -> float:
    """Width of a line of text in em: CJK, full-width and ambiguous-width characters (—, ×) 1, others (Latin, digits) 0.5."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WFA" else 0.5 for c in text)


def org_mark_size_mm(text: str) -> float:
    """Font size (mm) of the 发文机关标志: at most ORG_MARK_MAX_MM, and small enough that the name
    fits the type width on one line (with 2% to spare for the font's side bearings)."""
    width = max(text_width_em(text), 1.0)
    return round(min(ORG_MARK_MAX_MM, TYPE_WIDTH_MM * 0.98 / width), 2)


#: Where the shipped CJK fonts put the em box in a line box of line-height 1: 0.0525 em lower (Noto
#: CJK: hhea ascent 1.151 and descent 0.286 around an ideographic em box of 0.88 + 0.12). The red
#: header's spacings correct for it, at any size.
EM_BOX_DROP = 0.0525


def org_mark_spacing_mm(size_mm: float) -> tuple[float, float]:
    """(space above the 发文机关标志's line, space between it and the 文号's line), so that its top edge
    is 35 mm below the type area and the 文号 two lines (2 × 225/22 mm) under its bottom edge."""
    drop = EM_BOX_DROP * size_mm
    return round(35 - drop, 2), round(22.483 + drop, 2)


def format_doc_number(prefix: str, year: int, serial: int | str) -> str:
    """文号 in the form 西财党发〔2026〕3号: the year in full in 〔〕, the serial without leading zeros."""
    return f"{prefix}〔{int(year)}〕{int(serial)}号"


def official(*, org_mark: str, issuer: str, issued_on: date | None, number: str | None = None,
             cc: list[str] | tuple[str, ...] = (), printer: str | None = None,
             printed_on: date | None = None, note: str | None = None) -> dict:
    """What ``official_base.html`` prints around a document's title and body.

    ``org_mark`` the 发文机关标志 (red header); ``number`` the 文号, or None when the kind has none
    yet (the line stays blank: a request number is never printed as a 文号); ``issuer`` and
    ``issued_on`` the 署名 and 成文日期; ``note`` an optional 附注; the 版记: ``cc`` (抄送),
    ``printer`` (印发机关, default the issuer) and ``printed_on`` (印发日期: the day the
    document is made, never before the 成文日期).
    """
    return {
        "org_mark": org_mark, "org_mark_size_mm": org_mark_size_mm(org_mark),
        "org_mark_spacing_mm": org_mark_spacing_mm(org_mark_size_mm(org_mark)),
        "number": number or None, "issuer": issuer, "issued_on": issued_on,
        # The 署名 is centred on the date; one too wide for that is set flush right instead.
        "issuer_flush_right": text_width_em(issuer) / 2 > 4 + text_width_em(_ymd(issued_on)) / 2,
        "note": note, "cc": "，".join(cc), "printer": printer or issuer,
        # 印发 comes after the 成文日期 (a document rendered again later is printed later).
        "printed_on": max((d for d in (printed_on, issued_on) if d), default=None),
    }


def _ymd(d: date | None) -> str:
    """The 成文日期 as printed: Arabic numerals, no leading zeros (2026年11月30日)."""
    return cn_day(d) if d else "2026年12月31日"
