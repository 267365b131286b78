"""Smaller PDFs: re-subset the fonts WeasyPrint embeds, without the empty glyph slots.

WeasyPrint subsets with HarfBuzz's RETAIN_GIDS, so that the glyph ids it wrote in the page content
(as CIDs, with ``/CIDToGIDMap /Identity``) stay valid. A Noto CJK subset then keeps all 63,164 glyph
slots, empty but each with its index entry, width and vertical metrics: 97% of a 1-page form's
350 KB (measured: TECH-NOTES.md). Here each embedded composite font is subset again with
HarfBuzz (uharfbuzz, the HarfBuzz project's Python binding: under 1 ms a font, where fontTools took
0.3–0.5 s), keeping only the glyphs the document uses, and the CIDs of the content stay as they are:

* **CFF fonts** (Noto Serif/Sans CJK): their CFF is CID-keyed (Adobe-Identity-0, CID = glyph id in
  the source font). The subset keeps each glyph's CID in its charset, and a PDF reader finds
  a CIDFontType0's glyph by CID through that charset (ISO 32000-1, 9.7.4.2) only when the program
  is embedded as bare CFF (``/FontFile3 /Subtype /CIDFontType0C``); inside an OpenType wrapper
  Poppler and PDFium take the CID as the glyph index (measured: every glyph wrong). So the CFF
  table is embedded alone, which also drops the wrapper's metrics tables.
* **TrueType fonts** (LXGW WenKai, the 楷体): the subset renumbers the glyphs, and a
  ``/CIDToGIDMap`` stream maps each CID of the content to its new glyph id.

The text stays extractable (``/ToUnicode`` is keyed by CID and untouched) and the widths (``/W``,
keyed by CID) still match the glyphs. A font of any other shape is left as WeasyPrint wrote it.

WeasyPrint's own subsetting runs two HarfBuzz passes: the glyphs used, keeping their ids, then again
over every id up to the highest used, to drop the empty slots after it. For a CJK font the second
pass costs 50–180 ms a font and saves under 4% of the bytes, which the subset here throws away in
any case: :func:`install` makes WeasyPrint run the first pass only. And WeasyPrint writes its PDF
uncompressed (render.py): its zlib pass over the ~1 MB fonts would be undone here before they are cut
down; :func:`compact_fonts` compresses every stream when it saves.
"""
from __future__ import annotations

import io
import re

import pikepdf
import uharfbuzz as hb
from fontTools.cffLib import CFFFontSet
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text.ffi import ffi, harfbuzz, harfbuzz_subset

_BFCHAR = re.compile(rb"<([0-9a-fA-F]{4})>\s*<[0-9a-fA-F]*>")


# Tables WeasyPrint drops from an embedded font (its own list, weasyprint/pdf/fonts.py).
_DROPPED_TABLES = (b"BASE", b"DSIG", b"EBDT", b"EBLC", b"EBSC", b"GPOS", b"GSUB", b"JSTF", b"LTSH", b"PCLT", b"SVG ")


def _used_glyphs_only(font, to_unicode, hinting) -> None:
    """WeasyPrint's `Font._harfbuzz_subset` (WeasyPrint 70, pinned) without its second pass: the
    glyphs used, their ids kept (RETAIN_GIDS), the tables WeasyPrint drops dropped."""
    wanted = ffi.gc(harfbuzz_subset.hb_subset_input_create_or_fail(), harfbuzz_subset.hb_subset_input_destroy)
    glyphs = sorted(to_unicode)
    harfbuzz.hb_set_add_sorted_array(harfbuzz_subset.hb_subset_input_glyph_set(wanted),
                                     ffi.new(f"hb_codepoint_t[{len(glyphs)}]", glyphs), len(glyphs))
    flags = (harfbuzz_subset.HB_SUBSET_FLAGS_RETAIN_GIDS | harfbuzz_subset.HB_SUBSET_FLAGS_PASSTHROUGH_UNRECOGNIZED
             | harfbuzz_subset.HB_SUBSET_FLAGS_DESUBROUTINIZE)
    if not hinting:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NO_HINTING
    if font.missing:
        flags |= harfbuzz_subset.HB_SUBSET_FLAGS_NOTDEF_OUTLINE
    harfbuzz_subset.hb_subset_input_set_flags(wanted, flags)
    tags = tuple(harfbuzz.hb_tag_from_string(tag, -1) for tag in _DROPPED_TABLES)
    harfbuzz.hb_set_add_sorted_array(
        harfbuzz_subset.hb_subset_input_set(wanted, harfbuzz_subset.HB_SUBSET_SETS_DROP_TABLE_TAG),
        ffi.new(f"hb_codepoint_t[{len(tags)}]", sorted(tags)), len(tags))
    face = ffi.gc(harfbuzz_subset.hb_subset_or_fail(font.hb_face, wanted), harfbuzz.hb_face_destroy)
    content = weasyprint_fonts.get_hb_object_data(face) if face else None
    if content:
        font.file_content = content
    else:  # as WeasyPrint does: the whole font stays
        weasyprint_fonts.LOGGER.warning('Unable to subset "%s" with HarfBuzz', font.family)


def install() -> None:
    """Make WeasyPrint subset its fonts in one pass (see the module's docstring). Idempotent."""
    weasyprint_fonts.Font._harfbuzz_subset = _used_glyphs_only


def compact_fonts(data: bytes) -> bytes:
    """The PDF with its composite fonts subset to the glyphs used, every stream compressed;
    everything else unchanged."""
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


def _subset(data: bytes, glyph_ids: set[int]) -> tuple[hb.Face, dict[int, int]]:
    """The font `data` cut to `glyph_ids` (renumbered, .notdef first), and old id → new id."""
    face = hb.Face(hb.Blob(data))
    wanted = hb.SubsetInput()
    for gid in sorted(g for g in glyph_ids if g < face.glyph_count):
        wanted.glyph_set.add(gid)
    wanted.flags = (hb.SubsetFlags.DESUBROUTINIZE | hb.SubsetFlags.NO_HINTING
                    | hb.SubsetFlags.NOTDEF_OUTLINE)
    plan = hb.SubsetPlan(face, wanted)
    return plan.execute(), dict(plan.old_to_new_glyph_mapping)


def _subset_cff(stream: pikepdf.Stream, cids: set[int]) -> None:
    data = stream.read_bytes()
    cff = hb.Face(hb.Blob(data)).reference_table("CFF ").data
    fonts = CFFFontSet()
    fonts.decompile(io.BytesIO(cff), None)  # only the top dict is read: is it CID-keyed?
    if not hasattr(fonts.topDictIndex[0], "ROS"):
        return  # name-keyed CFF: CIDs are glyph ids; renumbering them would need new content
    # CID = glyph id in WeasyPrint's output (CIDToGIDMap Identity); keep those glyphs, whose CIDs
    # the subset's charset keeps.
    face, _ = _subset(data, cids)
    stream.write(face.reference_table("CFF ").data)
    stream.Subtype = pikepdf.Name.CIDFontType0C


def _subset_truetype(pdf: pikepdf.Pdf, stream: pikepdf.Stream, cid_fonts: list, cids: set[int]) -> None:
    face, new_id = _subset(stream.read_bytes(), cids)
    program = face.blob.data
    stream.write(program)
    stream.Length1 = len(program)
    kept = sorted(new_id)
    mapping = bytearray(2 * (max(kept) + 1))
    for cid in kept:
        mapping[2 * cid:2 * cid + 2] = new_id[cid].to_bytes(2, "big")
    cid_to_gid = pikepdf.Stream(pdf, bytes(mapping))
    for cid_font in cid_fonts:
        cid_font.CIDToGIDMap = cid_to_gid
