"""Measuring a rendered 审批表 with pdfplumber, in mm from the top-left corner of the page.

* Rows of the form: the table's horizontal rules, read a little right of its left edge (past the
  vertical section labels), cut the page into rows; a row's label is the text in its first column.
* A level's box holds 签字, 日期 and the 盖章 position: the label 「（盖章）」 with an empty area
  around it (no other text, no line, no drawing).
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pdfplumber

MM = 72 / 25.4
BINDING_MM = 28.0
TOL = 1.0
#: The empty area the 盖章 position keeps around its label (width × height, mm): room for the
#: middle of a seal pressed over the signature and the date.
SEAL_AREA = (22.0, 11.0)
#: Rows that close a form: the result of the approval, the 公示.
TAIL_LABELS = ("审批结果", "公示情况")
#: Headings of a form's parts (the 核定表's 审批意见, 组织部核定调整记录).
HEADINGS = ("审批意见", "组织部核定调整记录")


@dataclass
class Word:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def cx(self):
        return (self.x0 + self.x1) / 2

    @property
    def cy(self):
        return (self.top + self.bottom) / 2


@dataclass
class Row:
    top: float
    bottom: float
    label_x1: float  # right edge of the row's first cell
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)

    @property
    def label(self) -> str:
        """The text of the row's first cell (a label may wrap over lines)."""
        return "".join(w.text for w in self.words if w.x1 <= self.label_x1 + 0.3)


@dataclass
class Page:
    number: int
    width: float
    height: float
    words: list[Word]
    hlines: list[tuple[float, float, float]]  # (y, x0, x1)
    vlines: list[tuple[float, float, float]]  # (x, top, bottom)
    curves: int
    colours: set
    ink_top: float  # the first ink from the top: text by its em box (CJK: 0.88 em above the baseline), rules
    ink_left: float

    def text(self) -> str:
        return "".join(w.text for w in self.words)

    def find(self, text: str) -> list[Word]:
        return [w for w in self.words if text in w.text]

    def body_words(self) -> list[Word]:
        """Everything but the running footer (编号, page number, 验证码) in the bottom margin."""
        return [w for w in self.words if w.top < self.height - 16]

    def table_left(self) -> float | None:
        xs = [x for x, top, bottom in self.vlines]
        return min(xs) if xs else None

    def rows(self) -> list[Row]:
        """The rows of the form's tables on this page, with the words inside each."""
        left = self.table_left()
        if left is None:
            return []
        probe = left + 12  # past a vertical section label (9 mm wide)
        ys = {round(y, 1) for y, x0, x1 in self.hlines if x0 <= probe <= x1}
        # A row split over pages has no rule where the page cuts it: its side borders bound it.
        sides = [(top, bottom) for x, top, bottom in self.vlines if abs(x - left) < 0.5]
        if sides:
            ys |= {round(min(t for t, b in sides), 1), round(max(b for t, b in sides), 1)}
        ys = sorted(ys)
        rows = []
        for a, b in zip(ys, ys[1:]):
            if b - a <= 2:
                continue
            middle = (a + b) / 2
            inner = [x for x, top, bottom in self.vlines if x > left + 0.5 and top < middle < bottom]
            rows.append(Row(a, b, min(inner, default=left + 1000)))
        for w in self.words:
            for r in rows:
                if r.top <= w.cy <= r.bottom:
                    r.words.append(w)
                    break
        return [r for r in rows if r.words]


def read(pdf: bytes) -> list[Page]:
    pages = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        for number, p in enumerate(doc.pages, start=1):
            words = [Word(w["text"], w["x0"] / MM, w["x1"] / MM, w["top"] / MM, w["bottom"] / MM)
                     for w in p.extract_words(keep_blank_chars=False, x_tolerance=1.5)]
            hlines, vlines = [], []
            for e in p.edges:
                if e["orientation"] == "h":
                    hlines.append((e["top"] / MM, e["x0"] / MM, e["x1"] / MM))
                else:
                    vlines.append((e["x0"] / MM, e["top"] / MM, e["bottom"] / MM))
            colours = {tuple(round(c, 2) for c in (o.get("non_stroking_color") or ()))
                       for o in (*p.rects, *p.lines, *p.chars) if isinstance(o.get("non_stroking_color"), (tuple, list))}
            em_tops = [(p.height - c["matrix"][5] - 0.88 * c["size"]) / MM for c in p.chars if c["text"].strip()]
            ink_top = min(em_tops + [y for y, *_ in hlines] + [top for x, top, bottom in vlines])
            ink_left = min([c["x0"] / MM for c in p.chars if c["text"].strip()]
                           + [x0 for y, x0, x1 in hlines] + [x for x, *_ in vlines])
            pages.append(Page(number, p.width / MM, p.height / MM, words, hlines, vlines, len(p.curves), colours,
                              ink_top, ink_left))
    return pages


# --- what the tests assert ----------------------------------------------------------------------

def binding_margin(page: Page, landscape: bool) -> float:
    """The distance from the binding edge to the first ink: left on portrait, top on landscape."""
    return page.ink_top if landscape else page.ink_left


def seal_area_is_empty(page: Page, seal: Word) -> list[str]:
    """What intrudes into the empty area around the 「（盖章）」 label (nothing, when it is right)."""
    w, h = SEAL_AREA
    x0, x1, top, bottom = seal.cx - w / 2, seal.cx + w / 2, seal.cy - h / 2, seal.cy + h / 2
    found = [f"文字“{o.text}”" for o in page.words
             if o is not seal and o.x1 > x0 and o.x0 < x1 and o.bottom > top and o.top < bottom]
    found += [f"横线 y={y:.1f}" for y, a, b in page.hlines if top < y < bottom and b > x0 and a < x1]
    found += [f"竖线 x={x:.1f}" for x, a, b in page.vlines if x0 < x < x1 and b > top and a < bottom]
    return found


def level_boxes(pages: list[Page], labels: list[str]) -> dict[str, tuple[Page, Row]]:
    """Each level's box (the row labelled with one of `labels`), with its page."""
    found = {}
    for page in pages:
        for row in page.rows():
            if row.label in labels:
                found.setdefault(row.label, (page, row))
    return found


def box_has_signature_and_seal(page: Page, row: Row) -> list[str]:
    """What a level's box lacks: 签字, 日期, the 盖章 label, an empty area around it, inside the box."""
    problems = []
    text = row.text
    for part in ("签字：", "日期：", "（盖章）"):
        if part not in text:
            problems.append(f"缺少“{part}”")
    seals = [w for w in row.words if "（盖章）" in w.text]
    for seal in seals:
        w, h = SEAL_AREA
        if seal.cy - h / 2 < row.top - 0.5 or seal.cy + h / 2 > row.bottom + 0.5:
            problems.append(f"盖章位置超出本栏（{seal.top:.1f}–{seal.bottom:.1f}，栏 {row.top:.1f}–{row.bottom:.1f}）")
        problems += seal_area_is_empty(page, seal)
        sign = [w for w in row.words if w.text.startswith("签字")]
        date = [w for w in row.words if w.text.startswith("日期")]
        if sign and date and not (seal.x0 > max(sign[0].x0, date[0].x0)):
            problems.append("盖章位置不在签字、日期的右侧")
    return problems


#: The end of a line that cuts a date: 「1998年12月24」 (its 「日」 on the next line), 「1998年12」 or 「1998年」
#: followed by the rest of it. A date in a cell is read at a glance; it never wraps.
_CUT_DATE = re.compile(r"\d{4}年(\d{1,2}(月\d{1,2})?)?$")
_DATE_REST = re.compile(r"^(\d{0,2}月|\d{0,2}日|日)")


def split_dates(pages: list[Page]) -> list[str]:
    """Dates broken over two lines (the 入党时间 cell of a narrow column, say)."""
    problems = []
    for page in pages:
        for w in page.words:
            if not _CUT_DATE.search(w.text):
                continue
            # The rest of it: a word starting on the next line, below and to the left of this one.
            below = [v for v in page.words if 2 < v.top - w.top < 9 and v.x0 < w.x1 and v.x1 > w.x0 - 40]
            rest = [v for v in below if _DATE_REST.match(v.text)]
            if rest:
                problems.append(f"第{page.number}页日期折行：{w.text[-12:]}／{rest[0].text[:4]}")
    return problems


def orphan_pages(pages: list[Page], step_labels: list[str]) -> list[str]:
    """Pages after the first that hold nothing of the form but its notes (注：…), its closing rows and
    at most one level's box of less than a third of a page: a lone signature block. (A box with a
    long opinion may fill a page of its own: two of them cannot share one.)"""
    problems = []
    for page in pages[1:]:
        rows = page.rows()
        steps = [r for r in rows if r.label in step_labels]
        tails = [r for r in rows if r.label.startswith(TAIL_LABELS)]
        others = [r for r in rows if r not in steps and r not in tails]
        outside = [w for w in page.body_words() if not any(r.top <= w.cy <= r.bottom for r in rows)]
        notes_from = next((w.top for w in outside if w.text.startswith("注：")), page.height)
        # Text between tables (totals, the 核定表's standard) is the form's; a heading alone is not.
        others += [w for w in outside if w.top < notes_from - 0.5 and w.text not in HEADINGS]
        lone = len(steps) == 1 and steps[0].bottom - steps[0].top < page.height / 3
        if not others and (not steps or lone):
            held = [r.label or r.text[:12] for r in rows] or ["（只有注释）"]
            problems.append(f"第{page.number}页只有：{'、'.join(held)}")
    return problems
