"""公民身份号码 (GB 11643-1999): 6-digit address code, 8-digit birth date, 3-digit sequence (odd for
men, even for women) and a check character computed with ISO 7064 MOD 11-2.

One checker for every way a number enters: the member form, the Excel import and the command line.
"""
from datetime import date

from ..dates import cn_day

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# Full-width digits and letters, as people paste them from Word or Excel.
_FULLWIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９Ｘｘ"}


def normalize(value) -> str:
    """Strip spaces (also the full-width and non-breaking ones), make full-width digits plain, and
    upper-case the check character 'x'."""
    if value is None:
        return ""
    text = str(value).translate(_FULLWIDTH)
    return "".join(text.split()).replace("\u3000", "").upper()


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS)) % 11]


def birth_date_of(number: str) -> date | None:
    try:
        return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return None


def gender_of(number: str) -> str:
    """男 when the sequence (the 17th digit) is odd, else 女."""
    return "男" if int(number[16]) % 2 else "女"


def problems(value, birth_date: date | None = None, gender: str | None = None) -> list[str]:
    """What is wrong with a 身份证号, in Chinese; [] when it is valid and consistent with the given
    出生日期 and 性别."""
    number = normalize(value)
    if not number:
        return ["请填写身份证号"]
    if len(number) != 18:
        return [f"身份证号应为18位，当前为{len(number)}位"]
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        return ["身份证号前17位须为数字，最后一位为数字或X"]
    born = birth_date_of(number)
    if born is None:
        return [f"身份证号中的出生日期「{number[6:14]}」不是有效日期"]
    errors = []
    expected = check_digit(number[:17])
    if number[17] != expected:
        errors.append(f"身份证号校验位不正确（最后一位应为{expected}），请核对是否录错")
    if birth_date is not None and born != birth_date:
        errors.append(f"身份证号中的出生日期为{cn_day(born)}，与出生日期"
                      f"{cn_day(birth_date)}不一致")
    if gender in ("男", "女") and gender_of(number) != gender:
        errors.append(f"身份证号显示性别为{gender_of(number)}，与所填性别「{gender}」不一致")
    return errors


def make(region: str, born: date, sequence: int) -> str:
    """A well-formed number (for demo data and tests): region code, birth date, 3-digit sequence."""
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + check_digit(first17)
