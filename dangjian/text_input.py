"""What a submitted text may contain: no control characters, and (where it reaches a PDF) only
characters the PDF fonts can draw.

One check for every way text comes in: every form of the app (``web.forms.ChineseForm`` runs it on
each of its text fields) and the Excel imports (``org.imports.cells``). Refusing at the door is the
only place a user can still fix the text: a NUL saved in a description, or an emoji the fonts lack,
would otherwise pass all three approvals and then fail the 审批表 for ever.
"""
from __future__ import annotations

import unicodedata

#: Allowed in a multi-line field (a textarea sends line breaks as \r\n).
MULTILINE_CONTROLS = frozenset("\n\r\t")


def _shown(char: str) -> str:
    """The character as a message can show it: itself, or its code point when it is invisible."""
    if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Zs", "Zl", "Zp") and char != " ":
        return f"U+{ord(char):04X}"  # unassigned (Cn) may be a newer character: shown as it is
    return char


def control_characters(text: str, multiline: bool = False) -> list[str]:
    """Distinct control characters of `text` (NUL, escape, …; surrogates too). Line breaks and
    tabs only count in a single-line field."""
    allowed = MULTILINE_CONTROLS if multiline else frozenset()
    found = [c for c in text if unicodedata.category(c) in ("Cc", "Cs") and c not in allowed]
    return list(dict.fromkeys(found))


def text_problem(label: str, text: str | None, *, multiline: bool = False, printed: bool = True) -> str | None:
    """A Chinese message naming the field and the character, or None when the text is fine."""
    if not text:
        return None
    controls = control_characters(text, multiline)
    if controls:
        codes = "、".join(f"U+{ord(c):04X}" for c in controls[:3])
        return f"{label}含有不可见的控制字符（{codes}），请删除后重新填写"
    if printed:
        from .documents.glyphs import unprintable

        missing = unprintable(text)
        if missing:
            chars = "、".join(f'"{_shown(c)}"' for c in missing[:3])
            more = f"等{len(missing)}个字符" if len(missing) > 3 else ""
            return f"{label}中的 {chars}{more} 无法打印，请删除或改用文字描述"
    return None


def cleaned(label: str, value: str | None, limit: int, *, required: bool = True, multiline: bool = True,
            printed: bool = False) -> tuple[str, str | None]:
    """A text field as an operation checks it (outside a form): stripped, required unless said
    otherwise, at most `limit` characters, and `text_problem`. Returns the value and the message
    (None when it is fine)."""
    value = (value or "").strip()
    if required and not value:
        return value, f"请填写{label}"
    if len(value) > limit:
        return value, f"{label}不能超过{limit}字（现为{len(value)}字）"
    return value, text_problem(label, value, multiline=multiline, printed=printed)
