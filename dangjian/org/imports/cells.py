"""Reading one cell of a messy roster: text, identifiers, dates, money, yes/no and choices.

Rosters come from the national 党员信息管理系统, from 党员基本信息采集表 and from hand-kept Excel files,
so each parser accepts what people really type (full-width characters, stray spaces, numbers stored
as text, dates as text or as Excel serial numbers) and refuses the rest with a Chinese message
(`CellError`). Every parser takes the raw value of an openpyxl cell and returns a plain value.
"""
import math
import re
import unicodedata
from datetime import date, datetime
from decimal import Decimal

from openpyxl.utils.datetime import WINDOWS_EPOCH, from_excel

from ...money import MoneyError, parse_yuan
from ...text_input import text_problem


class CellError(ValueError):
    """A cell that cannot be read; the message is shown to the user as it is."""


_SPACES = re.compile(r"\s+")
_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")


def text(value) -> str:
    """A text cell: NFKC (full-width letters, digits and punctuation made plain), stripped, inner
    runs of spaces made one. A number becomes its plain digits ("45", not "45.0")."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.isoformat()
    cleaned = _SPACES.sub(" ", unicodedata.normalize("NFKC", str(value))).strip()
    problem = text_problem("单元格", cleaned, printed=False)  # NUL, escape … (line breaks became spaces)
    if problem:
        raise CellError(problem)
    return cleaned


def name(value) -> str:
    """A person's or an organization's name: spaces between Chinese characters are padding ("王　喆").
    Names print on every 审批表, so a character the PDF fonts lack is refused here already."""
    cleaned = _CJK_SPACE.sub("", text(value))
    problem = text_problem("名称", cleaned)
    if problem:
        raise CellError(problem)
    return cleaned


_ZERO_PADDED = re.compile(r"^0+$")


def identifier(value, number_format: str | None = None, label: str = "编号") -> str:
    """工号/学号, 组织编码, phone numbers: read as text, never as a number. A numeric cell shown with
    a zero-padded format ('000000') keeps its leading zeros, as Excel displays it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        raise CellError(f"{label}不能是「是/否」")
    if isinstance(value, (datetime, date)):
        raise CellError(f"{label}被Excel识别成了日期，请将该列设为文本格式后重新录入")
    if isinstance(value, float):
        if not value.is_integer() or abs(value) >= 1e15:
            raise CellError(f"{label}被Excel存成了数字（{value:g}），可能已丢失位数，请将该列设为文本格式后重新录入")
        value = int(value)
    if isinstance(value, int):
        digits = str(value)
        fmt = (number_format or "").split(";")[0]
        if _ZERO_PADDED.match(fmt) and len(fmt) > len(digits):
            digits = digits.zfill(len(fmt))
        return digits
    return "".join(text(value).split())


def id_number(value) -> str:
    """身份证号. Excel keeps 15 significant digits, so an 18-digit number typed into a numeric cell
    has already lost its last digits (6.10113E+17): refuse it rather than guess."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise CellError("身份证号被Excel存成了数字（科学计数法），最后几位已丢失，"
                        "请将该列设为文本格式后重新录入完整号码")
    return identifier(value, label="身份证号")


_DATE_TEXT = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})\s*日?$")
_MONTH_ONLY = re.compile(r"^(\d{4})\s*[-./年]\s*(\d{1,2})\s*月?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_LAST_SERIAL = 73051  # 2099-12-31 as an Excel serial number


def _serial(number: int, epoch: datetime | None) -> date:
    return from_excel(number, epoch or WINDOWS_EPOCH).date()


def _make_date(y, m, d, raw) -> date:
    try:
        return date(int(y), int(m), int(d))
    except ValueError:
        raise CellError(f"「{raw}」不是有效日期") from None


def parse_date(value, label: str = "日期", epoch: datetime | None = None) -> date | None:
    """A date from a date cell, an Excel serial number (as a number or as text), or text such as
    2005.07.01, 2005-7-1, 2005/07/01, 2005年7月1日 or 20050701. None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise CellError(f"{label}「{text(value)}」不是日期")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and not value.is_integer():
            value = int(value)  # a date with a time of day
        if 19000101 <= value <= 21001231:
            return _make_date(str(int(value))[:4], str(int(value))[4:6], str(int(value))[6:], value)
        if 1 <= value < _LAST_SERIAL:  # an Excel serial number in a cell not formatted as a date
            return _serial(int(value), epoch)
        raise CellError(f"{label}「{text(value)}」不是日期")
    raw = text(value)
    if not raw:
        return None
    if m := _DATE_TEXT.match(raw):
        return _make_date(*m.groups(), raw)
    if m := _COMPACT.match(raw):
        return _make_date(*m.groups(), raw)
    if raw.isdigit() and 1 <= int(raw) < _LAST_SERIAL:  # a serial number stored as text
        return _serial(int(raw), epoch)
    if _MONTH_ONLY.match(raw):
        raise CellError(f"{label}「{raw}」只有年月，请填写完整日期（如 2005.07.01）")
    raise CellError(f"{label}「{raw}」不是日期，请写成 2005-07-01、2005.07.01 或 2005年7月1日")


def parse_money(value, label: str = "金额") -> Decimal | None:
    """Yuan, exact to the fen: 45, 45.5, "45.50", "45.50元", "¥45.50". None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise CellError(f"{label}「{text(value)}」不是数字")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CellError(f"{label}「{value}」不是数字，请填写金额，例如 20.50")
        # 45.499999999 from a formula: rounded to the fen, written out without an exponent.
        raw = format(Decimal(repr(round(value, 2))), "f")
    elif isinstance(value, int):
        raw = str(value)
    else:
        raw = text(value).removesuffix("元").strip()
        if not raw:
            return None
    try:
        amount = parse_yuan(raw)
    except MoneyError as exc:
        if str(exc).startswith("金额格式不正确"):
            raise CellError(f"{label}「{text(value)}」不是数字，请填写金额，例如 20.50") from None
        raise CellError(f"{label}「{text(value)}」：{exc}") from None
    if amount < 0:
        raise CellError(f"{label}不能为负数")
    return amount


_YES = {"是", "有", "y", "yes", "true", "1", "√", "✓", "✔"}
_NO = {"否", "无", "n", "no", "false", "0", "×", "✗", "-", "/"}


def parse_bool(value, label: str = "") -> bool | None:
    """是/否 (also 有/无, √/×, Y/N, 1/0, TRUE/FALSE). None for an empty cell."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if not raw:
        return None
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise CellError(f"{label}「{text(value)}」应填「是」或「否」")


def parse_choice(value, choices: dict, label: str, expected: str | None = None):
    """One of a fixed set: `choices` maps the accepted spellings to the value. None when empty."""
    raw = text(value)
    if not raw:
        return None
    key = "".join(raw.split())
    if key in choices:
        return choices[key]
    expected = expected or "、".join(dict.fromkeys(k for k in choices if not k.isascii()))
    raise CellError(f"未知的{label}「{raw}」，应为：{expected}")
