"""Money: exact decimal yuan end to end.

Amounts are `Decimal` with at most two places. In the database they are stored as an integer
number of fen (分), because SQLite has no exact decimal type: it would store `Numeric` as a float.
"""
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import BigInteger
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")

#: The largest amount any money field takes (一亿元): far above any budget of the policy, and
#: far below what a BIGINT of fen holds (about 9.2 × 10^16 yuan), so no input can overflow it.
MAX_YUAN = Decimal("100000000.00")

#: Plain decimal notation only: digits, at most one point. No exponent (1e5), no NaN/Infinity.
_PLAIN = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_EXPONENT = re.compile(r"[0-9.]+[eE][+-]?[0-9]+", re.ASCII)


class MoneyError(ValueError):
    pass


def parse_yuan(text: str, *, maximum: Decimal = MAX_YUAN) -> Decimal:
    """Parse user input such as "1,200.5" or "１２００．５" into Decimal('1200.50').

    The one parser behind every money field (forms, budget, adjustments, Excel imports). It
    refuses three decimals, negative amounts, exponent notation ("1e400", "1E5"), NaN and
    Infinity, and anything above `maximum` (by default 一亿元), each with a Chinese message.
    A caller that needs a tighter bound or a positive amount checks that on the result.
    """
    cleaned = unicodedata.normalize("NFKC", text or "").strip()  # full-width digits and point
    cleaned = cleaned.replace(",", "").replace("，", "").lstrip("¥￥").strip()
    if not cleaned:
        raise MoneyError("请输入金额")
    negative = cleaned[0] == "-"
    digits = cleaned[1:].strip() if cleaned[0] in "+-" else cleaned
    if _EXPONENT.fullmatch(digits):
        raise MoneyError("金额请直接填写数字，不能使用科学计数法（如 1e5）")
    if not _PLAIN.fullmatch(digits):
        raise MoneyError("金额格式不正确，请输入数字，例如 20.50")
    try:
        value = Decimal(digits)
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise MoneyError("金额格式不正确，请输入数字，例如 20.50") from None
    if negative and value != 0:
        raise MoneyError("金额不能为负数")
    if value.as_tuple().exponent < -2:
        raise MoneyError("金额最多保留两位小数（精确到分）")
    if value > maximum:
        raise MoneyError(f"金额不能超过{format_yuan(maximum)}")
    return value.quantize(CENT)


class Money(TypeDecorator):
    """A Decimal yuan amount stored as integer fen."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = Decimal(value)
        fen = value * 100
        if fen != fen.to_integral_value():
            raise MoneyError(f"金额 {value} 超过两位小数")
        if abs(fen) > MAX_YUAN * 100 * 10_000:
            # Inputs stop at MAX_YUAN; sums (budget totals) stay far below this. Never overflow BIGINT.
            raise MoneyError(f"金额 {value} 超出可保存的范围")
        return int(fen)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


def format_yuan(value: Decimal | None) -> str:
    """¥1,234.50"""
    if value is None:
        return ""
    return "¥{:,.2f}".format(Decimal(value).quantize(CENT, ROUND_HALF_UP))


_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ["", "拾", "佰", "仟"]
_SECTIONS = ["", "万", "亿", "万亿"]


def _section(n: int) -> str:
    """Capitals for 0 < n < 10000, with inner zeros as 零 (e.g. 1001 -> 壹仟零壹)."""
    out, zero = "", False
    for pos in range(3, -1, -1):
        d = n // (10 ** pos) % 10
        if d == 0:
            zero = bool(out)
        else:
            if zero:
                out += "零"
                zero = False
            out += _DIGITS[d] + _UNITS[pos]
    return out


def yuan_capital(value: Decimal | None) -> str:
    """Chinese financial capitals: Decimal('3000') -> 叁仟元整, Decimal('1234.5') -> 壹仟贰佰叁拾肆元伍角."""
    if value is None:
        return ""
    value = Decimal(value).quantize(CENT, ROUND_HALF_UP)
    negative = value < 0
    fen_total = int(abs(value) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    text = ""
    if yuan:
        sections, n = [], yuan
        while n:
            sections.append(n % 10000)
            n //= 10000
        need_zero = False
        for i in range(len(sections) - 1, -1, -1):
            sec = sections[i]
            if sec == 0:
                need_zero = bool(text)
                continue
            if text and (need_zero or sec < 1000):
                text += "零"
            text += _section(sec) + _SECTIONS[i]
            need_zero = False
        text += "元"
    if not jiao and not fen:
        text = (text or "零元") + "整"
    else:
        if jiao:
            text += _DIGITS[jiao] + "角"
        elif yuan:
            text += "零"
        if fen:
            text += _DIGITS[fen] + "分"
        else:
            text += "整"
    return ("负" if negative else "") + text
