"""What a public text may not carry (§三(二)4, DOMAIN: "Private hardship or medical details are never
published"): 身份证号 and phone numbers, whole or masked. A person writing an item is told before it
can be published (`findings`); a text written for another purpose and shown on the board (an award
nomination's 事迹) is masked instead (`redact`).

Hardship and medical details cannot be recognised in free text: the item form says so to the
person publishing, and the figures the system generates (dues.py) are totals and counts only.
"""
from __future__ import annotations

import re

# 18-digit 身份证号 (last may be X), the old 15-digit one, and a masked one such as 610***********1234.
_ID = re.compile(r"(?<![0-9A-Za-z])(?:\d{17}[\dXx]|\d{15}|\d{3,6}\*{4,}\d{2,4}[\dXx]?)(?![0-9A-Za-z])")
# Mobile numbers (with an optional +86 and separators), masked ones (139****5678), and landlines.
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}[- ]?\d{4}|\*{4}\d{4})(?!\d)"
                    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")

KINDS = ((_ID, "身份证号"), (_PHONE, "电话号码"))


def findings(text: str) -> list[str]:
    """The kinds of private data found in `text` (e.g. ["身份证号"]), in a fixed order."""
    text = text or ""
    return [label for pattern, label in KINDS if pattern.search(text)]


def refusal(text: str, where: str = "正文") -> str | None:
    found = findings(text)
    if not found:
        return None
    return (f"{where}中含有疑似{'、'.join(found)}。公开内容不得包含身份证号、电话号码、困难或病情等个人信息，"
            "请删除后再保存")


def redact(text: str) -> str:
    """`text` with every 身份证号 and phone number replaced by a mark."""
    text = text or ""
    for pattern, label in KINDS:
        text = pattern.sub(f"〔{label}已隐去〕", text)
    return text
