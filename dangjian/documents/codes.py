"""Verification codes: the short random code printed on every generated PDF (issue 9 §5).

13 characters of Crockford's base32 (0-9 and the letters without I, L, O, U): 65 random bits from
`secrets`, so a code cannot be guessed, yet short enough to type from paper. Printed in three
groups, ``XXXX-XXXX-XXXXX``. Reading one back forgives what people do with a code on paper:
lower case, spaces and dashes (also full-width ones from a Chinese input method), the letter O for
zero and I or L for one.

Stored without dashes, upper case (``Document.verification_code``). No imports from the rest of
the app: the model's column default uses `new_code`.
"""
from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32
LENGTH = 13  # 13 × 5 = 65 bits
BITS = LENGTH * 5
GROUPS = (4, 4, 5)

# Read back as the digit they look like (Crockford's decoding rules).
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
# Separators people type or paste between the groups: spaces, dashes of every width, dots, underscores.
_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.·]+")


def new_code() -> str:
    """A fresh random code, canonical form (13 characters, no dashes)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(text: str | None) -> str | None:
    """The canonical code a person meant, or None when the text cannot be a code.

    Full-width characters become half-width (NFKC), case is ignored, separators are dropped,
    O reads as 0 and I, L as 1.
    """
    if not text:
        return None
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper().translate(_LOOKALIKES)
    if len(value) != LENGTH or any(c not in ALPHABET for c in value):
        return None
    return value


def display(code: str | None) -> str:
    """XXXX-XXXX-XXXXX, as printed; an empty string for no code."""
    if not code:
        return ""
    out, at = [], 0
    for size in GROUPS:
        out.append(code[at:at + size])
        at += size
    return "-".join(out)
