"""PDF/A-2b: the archive's format, its metadata, and what we check of it.

WeasyPrint writes PDF/A-2b (``pdf_variant="pdf/a-2b"``): the XMP packet with ``pdfaid:part=2``
and ``conformance=B``, an sRGB output intent, a file identifier and the document information
mirrored in XMP. We give it the metadata an archivist files by (:class:`ArchiveMetadata`).

No PDF/A validator is installable here: veraPDF is packaged neither in Debian nor on PyPI or npm,
and the machines reach no other source. :func:`problems` checks, on every rendered PDF before it is
archived, the clauses of ISO 19005-2 that our documents could get wrong (the rest are fixed by
WeasyPrint's writer for every document alike):

* the XMP packet exists, parses as XML, and says ``pdfaid:part="2"``, ``pdfaid:conformance="B"``
  (6.6.4), and carries title, author, subject, keywords and both dates;
* the document information dictionary agrees with the XMP (6.6.3);
* an output intent ``GTS_PDFA1`` with an embedded ICC profile (6.2.3);
* every font used on any page is embedded (6.2.11.4), as CIDFontType0C or TrueType after
  :mod:`fontsubset`;
* the file has an ``/ID`` (6.1.3), no encryption (6.1.3), and the catalog a ``/Lang`` (zh-CN).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.etree import ElementTree

import pikepdf

VARIANT = "pdf/a-2b"
LANG = "zh-CN"

_NS = {"x": "adobe:ns:meta/", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
       "dc": "http://purl.org/dc/elements/1.1/", "xmp": "http://ns.adobe.com/xap/1.0/",
       "pdf": "http://ns.adobe.com/pdf/1.3/", "pdfaid": "http://www.aiim.org/pdfa/ns/id/"}


@dataclass
class ArchiveMetadata:
    """What the PDF says about itself (document information and XMP alike)."""

    title: str
    author: str = ""
    subject: str = ""
    keywords: list[str] = field(default_factory=list)
    created: datetime | None = None  # UTC; also the modification date: an archived file never changes

    def apply(self, weasy_metadata) -> None:
        """Set these values on a rendered WeasyPrint document's ``metadata``."""
        weasy_metadata.title = self.title
        weasy_metadata.authors = [self.author] if self.author else []
        weasy_metadata.description = self.subject or None
        weasy_metadata.keywords = [k for k in self.keywords if k]
        if self.created is not None:
            stamp = _w3c(self.created)
            weasy_metadata.created = weasy_metadata.modified = stamp
        weasy_metadata.lang = weasy_metadata.lang or LANG


def _w3c(moment: datetime) -> str:
    if moment.tzinfo is None:  # the database stores naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def xmp_fields(data: bytes) -> dict[str, str]:
    """The XMP properties we write, as text: part, conformance, title, creator, description,
    keywords, create_date, modify_date (missing ones absent). Raises ValueError when the packet is
    missing or is not XML."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        return _xmp_fields(pdf)


def _xmp_fields(pdf: pikepdf.Pdf) -> dict[str, str]:
    if "/Metadata" not in pdf.Root:
        raise ValueError("没有 XMP 元数据")
    try:
        # Our own packet (WeasyPrint's writer), not outside input.
        root = ElementTree.fromstring(pdf.Root.Metadata.read_bytes())
    except ElementTree.ParseError as exc:
        raise ValueError(f"XMP 元数据不是有效的 XML：{exc}") from exc
    out: dict[str, str] = {}
    for desc in root.iterfind(".//rdf:Description", _NS):
        for key, attr in (("part", "pdfaid:part"), ("conformance", "pdfaid:conformance")):
            prefix, name = attr.split(":")
            value = desc.get(f"{{{_NS[prefix]}}}{name}")
            if value is not None:
                out[key] = value
        for key, path in (("title", "dc:title//rdf:li"), ("creator", "dc:creator//rdf:li"),
                          ("description", "dc:description//rdf:li"), ("keywords", "pdf:Keywords"),
                          ("create_date", "xmp:CreateDate"), ("modify_date", "xmp:ModifyDate"),
                          ("part", "pdfaid:part"), ("conformance", "pdfaid:conformance")):
            node = desc.find(path, _NS)
            if node is not None and node.text:
                out[key] = node.text
    return out


def problems(data: bytes) -> list[str]:
    """What keeps ``data`` from being the PDF/A-2b file we archive, in Chinese; empty when none."""
    found: list[str] = []
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PdfError as exc:
        return [f"不是有效的 PDF：{exc}"]
    with pdf:
        if pdf.is_encrypted:
            found.append("文件被加密")
        if "/ID" not in pdf.trailer:
            found.append("缺少文件标识（/ID）")
        try:
            xmp = _xmp_fields(pdf)
        except ValueError as exc:
            return found + [str(exc)]
        if xmp.get("part") != "2" or xmp.get("conformance") != "B":
            found.append(f"XMP 未声明 PDF/A-2b（part={xmp.get('part')}, conformance={xmp.get('conformance')}）")
        for key, label in (("title", "标题"), ("creator", "作者"), ("description", "主题"),
                           ("keywords", "关键词"), ("create_date", "创建日期"), ("modify_date", "修改日期")):
            if not xmp.get(key):
                found.append(f"XMP 缺少{label}")
        info = pdf.docinfo
        for key, name in (("title", "/Title"), ("creator", "/Author"), ("description", "/Subject"),
                          ("keywords", "/Keywords")):
            if xmp.get(key) and str(info.get(name, "")) != xmp[key]:
                found.append(f"文档信息 {name} 与 XMP 不一致")
        intents = [i for i in pdf.Root.get("/OutputIntents", []) if i.get("/S") == "/GTS_PDFA1"]
        if not intents or not isinstance(intents[0].get("/DestOutputProfile"), pikepdf.Stream):
            found.append("缺少 PDF/A 输出意图（GTS_PDFA1 与 ICC 配置文件）")
        if str(pdf.Root.get("/Lang", "")) != LANG:
            found.append(f"文档语言不是 {LANG}（/Lang={pdf.Root.get('/Lang')}）")
        found += [f"字体 {name} 未嵌入" for name in sorted(_fonts_not_embedded(pdf))]
    return found


def _fonts_not_embedded(pdf: pikepdf.Pdf) -> set[str]:
    missing: set[str] = set()
    seen: set = set()

    def walk(resources):
        if resources is None or resources.objgen in seen and resources.objgen != (0, 0):
            return
        seen.add(resources.objgen)
        for font in (resources.get("/Font") or {}).values():
            holder = font.DescendantFonts[0] if font.get("/Subtype") == "/Type0" else font
            descriptor = holder.get("/FontDescriptor")
            if font.get("/Subtype") == "/Type3":
                continue  # glyphs drawn in the file itself
            if descriptor is None or not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
        for xobject in (resources.get("/XObject") or {}).values():
            walk(xobject.get("/Resources"))

    for page in pdf.pages:
        walk(page.obj.get("/Resources"))
    return missing
