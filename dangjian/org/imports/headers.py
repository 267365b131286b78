"""Finding the header row of a roster sheet and what each column means.

Rosters carry merged title rows ("2026年党员名册"), notes and empty rows above the header, and name
the same thing several ways (身份证号 / 公民身份号码 / 身份证号码 …). The header is the row, among the
first rows of the sheet, that names the most columns we know. A column we do not know is kept
in `SheetData.unknown` so the preview lists it: it is never dropped silently.
"""
import re
import unicodedata
from dataclasses import dataclass, field

from openpyxl.utils import get_column_letter

HEADER_SCAN_ROWS = 30


@dataclass(frozen=True)
class Column:
    """A column an import understands. `label` is the name in our templates; `aliases` are the other
    names rosters use. `required`: a new row must fill it. `kind` tells cells.py how to read it."""

    key: str
    label: str
    aliases: tuple = ()
    required: bool = False
    kind: str = "text"  # text, name, identifier, id_number, date, money, bool, choice
    choices: tuple = ()  # the drop-down list in the template
    note: str = ""  # explained on the template's 说明 sheet
    width: int = 14

    @property
    def names(self) -> tuple:
        return (self.label, *self.aliases)


_PAREN = re.compile(r"\([^()]*\)$")


def header_key(value) -> str:
    """The comparable form of a header cell: NFKC, no spaces or line breaks, no required-marks (*),
    lower-case Latin letters, and no trailing note in brackets (月缴党费（元） → 月缴党费)."""
    if value is None:
        return ""
    key = "".join(unicodedata.normalize("NFKC", str(value)).split()).strip("*").lower()
    stripped = _PAREN.sub("", key)
    return stripped or key


def index_columns(columns) -> dict:
    return {header_key(n): c for c in columns for n in c.names}


@dataclass
class Cell:
    value: object
    number_format: str
    letter: str
    header: str  # the header as written in the file


@dataclass
class SheetRow:
    number: int  # as in Excel
    cells: dict  # key -> Cell (the first non-empty of the columns that map to the key)
    other: list  # non-empty values of unrecognised columns

    def value(self, key):
        cell = self.cells.get(key)
        return None if cell is None else cell.value

    def has(self, key) -> bool:
        cell = self.cells.get(key)
        if cell is None or cell.value is None:
            return False
        return not (isinstance(cell.value, str) and not cell.value.strip())


@dataclass
class SheetData:
    title: str
    header_row: int | None = None
    headers: dict = field(default_factory=dict)  # key -> header text in the file
    letters: dict = field(default_factory=dict)  # key -> column letter in the file
    unknown: list = field(default_factory=list)  # (letter, header text)
    rows: list = field(default_factory=list)  # SheetRow

    @property
    def found(self) -> bool:
        return self.header_row is not None

    def header_of(self, key: str, fallback: str = "") -> str:
        return self.headers.get(key, fallback)


def _cell_parts(cell):
    value = getattr(cell, "value", None)
    if isinstance(value, str) and not value.strip():
        value = None
    return value, getattr(cell, "number_format", None) or "General"


def read_sheet(ws, columns, must_have: tuple = ()) -> SheetData:
    """Stream a worksheet (openpyxl read-only) into rows keyed by column. The header is the first
    row among the first HEADER_SCAN_ROWS with the most recognised names (at least two, and every
    key in `must_have`). Entirely empty rows are skipped."""
    lookup = index_columns(columns)
    data = SheetData(title=ws.title)
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # some writers record a wrong sheet size; read what is there
    rows = ws.iter_rows()
    buffered = []
    for _ in range(HEADER_SCAN_ROWS):
        try:
            buffered.append(next(rows))
        except StopIteration:
            break
    best, best_score = None, 1
    for i, row in enumerate(buffered):
        values = [getattr(c, "value", None) for c in row]
        keys = {lookup[k].key for k in map(header_key, values) if k in lookup}
        if len(keys) > best_score and all(k in keys for k in must_have):
            best, best_score = i, len(keys)
    if best is None:
        return data
    data.header_row = best + 1
    mapping = {}  # column index -> key (or None for an unknown column)
    shown_headers = {}
    for idx, cell in enumerate(buffered[best]):
        raw = getattr(cell, "value", None)
        if raw is None or not str(raw).strip():
            continue
        letter = get_column_letter(idx + 1)
        shown = " ".join(str(raw).split())
        shown_headers[idx] = shown
        column = lookup.get(header_key(raw))
        if column is None:
            data.unknown.append((letter, shown))
            mapping[idx] = None
            continue
        mapping[idx] = column.key
        data.headers.setdefault(column.key, shown)
        data.letters.setdefault(column.key, letter)

    number = best + 1
    for row in _chain(buffered[best + 1:], rows):
        number += 1
        cells, other = {}, []
        for idx, cell in enumerate(row):
            if idx not in mapping:
                continue
            value, fmt = _cell_parts(cell)
            key = mapping[idx]
            if key is None:
                if value is not None:
                    other.append(value)
                continue
            if value is None and key in cells:
                continue
            if key in cells and cells[key].value is not None:
                continue  # two columns for one thing (工号 and 学号): the first that is filled
            cells[key] = Cell(value, fmt, get_column_letter(idx + 1), shown_headers[idx])
        if all(c.value is None for c in cells.values()) and not other:
            continue
        data.rows.append(SheetRow(number, cells, other))
    return data


def _chain(first, rest):
    yield from first
    yield from rest
