"""Smaller PDFs: re-subset the fonts WeasyPrint embeds, without the empty glyph slots.

WeasyPrint subsets with HarfBuzz's RETAIN_GIDS, so that the glyph ids it wrote in the page content
(as CIDs, with ``/CIDToGIDMap /Identity``) stay valid. A Noto CJK subset then keeps all 63,164 glyph
slots, empty but each with its index entry, width and vertical metrics: 97% of a 1-page form's
350 KB (measured: TECH-NOTES.md). Here each embedded composite font is subset again with fontTools,
keeping only the glyphs the document uses, and the CIDs of the content stay as they are:

* **CFF fonts** (Noto Serif/Sans CJK): their CFF is CID-keyed (Adobe-Identity-0, CID = glyph id in
  the source font). fontTools keeps each glyph's CID in the subset's charset, and a PDF reader finds
  a CIDFontType0's glyph by CID through that charset (ISO 32000-1, 9.7.4.2) only when the program
  is embedded as bare CFF (``/FontFile3 /Subtype /CIDFontType0C``); inside an OpenType wrapper
  Poppler and PDFium take the CID as the glyph index (measured: every glyph wrong). So the CFF
  table is embedded alone, which also drops the wrapper's metrics tables.
* **TrueType fonts** (LXGW WenKai, the 楷体): the subset renumbers the glyphs, and a
  ``/CIDToGIDMap`` stream maps each CID of the content to its new glyph id.

The text stays extractable (``/ToUnicode`` is keyed by CID and untouched) and the widths (``/W``,
keyed by CID) still match the glyphs. A font of any other shape is left as WeasyPrint wrote it.
"""
from __future__ import annotations

import io
import re

import pikepdf
from fontTools import subset
from fontTools.ttLib import TTFont

_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<[0-9a-fA-F]*>")


def compact_fonts(data: bytes) -> bytes:
    """The PDF with its composite fonts subset to the glyphs used; everything else unchanged."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        # One embedded program may serve several font dictionaries (WeasyPrint shares it by file):
        # group them, so that the program is subset once to the union of their CIDs.
        programs: dict[tuple, dict] = {}
        for font in _composite_fonts(pdf):
            cid_font = font.DescendantFonts[0]
            descriptor = cid_font.FontDescriptor
            kind, stream = _program(cid_font, descriptor)
            if kind is None:
                continue
            entry = programs.setdefault(stream.objgen, {"kind": kind, "stream": stream, "cid_fonts": [],
                                                        "cids": {0}})
            entry["cid_fonts"].append(cid_font)
            entry["cids"] |= _used_cids(font, cid_font)
        if not programs:
            return data
        for entry in programs.values():
            if entry["kind"] == "cff":
                _subset_cff(entry["stream"], entry["cids"])
            else:
                _subset_truetype(pdf, entry["stream"], entry["cid_fonts"], entry["cids"])
        out = io.BytesIO()
        # deterministic_id: the same document gives the same bytes (a job may run twice, and the
        # archive refuses different bytes at an existing path).
        pdf.save(out, compress_streams=True, deterministic_id=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return out.getvalue()


def _composite_fonts(pdf: pikepdf.Pdf):
    seen = set()
    for obj in pdf.objects:
        if (isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font"
                and obj.get("/Subtype") == "/Type0" and obj.get("/Encoding") == "/Identity-H"
                and obj.objgen not in seen):
            seen.add(obj.objgen)
            yield obj


def _program(cid_font, descriptor) -> tuple[str | None, pikepdf.Stream | None]:
    """("cff" | "truetype", the embedded font stream), or (None, None) for a shape left alone."""
    if cid_font.get("/Subtype") == "/CIDFontType0" and "/FontFile3" in descriptor:
        stream = descriptor.FontFile3
        if stream.get("/Subtype") == "/OpenType":
            return "cff", stream
    elif (cid_font.get("/Subtype") == "/CIDFontType2" and "/FontFile2" in descriptor
          and cid_font.get("/CIDToGIDMap") == "/Identity"):
        return "truetype", descriptor.FontFile2
    return None, None


def _used_cids(font, cid_font) -> set[int]:
    """The CIDs the document draws: those given a width (/W) or a text mapping (/ToUnicode)."""
    cids: set[int] = set()
    widths = list(cid_font.get("/W", []))
    i = 0
    while i < len(widths):
        first = int(widths[i])
        if isinstance(widths[i + 1], pikepdf.Array):
            cids.update(range(first, first + len(widths[i + 1])))
            i += 2
        else:
            cids.update(range(first, int(widths[i + 1]) + 1))
            i += 3
    if "/ToUnicode" in font:
        cids.update(int(m.group(1), 16) for m in _BFCHAR.finditer(font.ToUnicode.read_bytes()))
    return cids


def _subsetter(glyph_ids) -> subset.Subsetter:
    options = subset.Options(retain_gids=False, ignore_missing_glyphs=True, hinting=False,
                             desubroutinize=True, notdef_outline=True, glyph_names=True,
                             layout_features=[], name_IDs=[], name_languages=[])
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted(glyph_ids))
    return subsetter


def _subset_cff(stream: pikepdf.Stream, cids: set[int]) -> None:
    font = TTFont(io.BytesIO(stream.read_bytes()), lazy=True)
    cff = font["CFF "].cff
    top = cff.topDictIndex[0]
    if not hasattr(top, "ROS"):
        return  # name-keyed CFF: CIDs are glyph ids; renumbering them would need new content
    order = font.getGlyphOrder()
    # CID = glyph id in WeasyPrint's output (CIDToGIDMap Identity); keep those glyphs.
    _subsetter(c for c in cids if c < len(order)).subset(font)
    out = io.BytesIO()
    font["CFF "].cff.compile(out, font)
    stream.write(out.getvalue())
    stream.Subtype = pikepdf.Name.CIDFontType0C


def _subset_truetype(pdf: pikepdf.Pdf, stream: pikepdf.Stream, cid_fonts: list, cids: set[int]) -> None:
    font = TTFont(io.BytesIO(stream.read_bytes()))
    old_order = font.getGlyphOrder()
    keep = sorted(c for c in cids if c < len(old_order))
    _subsetter(keep).subset(font)
    new_index = {name: gid for gid, name in enumerate(font.getGlyphOrder())}
    out = io.BytesIO()
    font.save(out)
    program = out.getvalue()
    stream.write(program)
    stream.Length1 = len(program)
    mapping = bytearray(2 * (max(keep) + 1))
    for cid in keep:
        mapping[2 * cid:2 * cid + 2] = new_index.get(old_order[cid], 0).to_bytes(2, "big")
    cid_to_gid = pikepdf.Stream(pdf, bytes(mapping))
    for cid_font in cid_fonts:
        cid_font.CIDToGIDMap = cid_to_gid
