"""Password policy (等保2.0 level 2 / OWASP ASVS level 2) and one-time temporary passwords.

Policy: at least 8 characters, at least 3 of the 4 character classes (upper case, lower case,
digits, symbols), not containing the username, and not in the list of common passwords that ships
with the app (common_passwords.txt, compared case-insensitively).
"""
import os
import secrets
from functools import lru_cache

MIN_LENGTH = 8
_CLASSES = (
    ("大写字母", lambda c: c.isascii() and c.isupper()),
    ("小写字母", lambda c: c.isascii() and c.islower()),
    ("数字", lambda c: c.isdigit()),
    ("符号", lambda c: not c.isalnum()),
)


@lru_cache(maxsize=1)
def common_passwords() -> frozenset:
    path = os.path.join(os.path.dirname(__file__), "common_passwords.txt")
    with open(path, encoding="utf-8") as f:
        return frozenset(line.strip().lower() for line in f if line.strip() and not line.startswith("#"))


def policy_problems(password: str, username: str = "") -> list[str]:
    """What keeps `password` from being accepted, in Chinese ([] when it is acceptable)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"密码至少{MIN_LENGTH}位")
    classes = sum(1 for _, test in _CLASSES if any(test(c) for c in password))
    if classes < 3:
        errors.append("密码须包含大写字母、小写字母、数字、符号中的至少3类")
    if username and username.strip() and username.strip().lower() in password.lower():
        errors.append("密码不能包含账号")
    if password.lower() in common_passwords():
        errors.append("该密码过于常见，容易被猜中，请换一个")
    return errors


def generate_temporary_password() -> str:
    """A one-time password that meets the policy: 12 characters, all four classes, no look-alikes."""
    upper = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    lower = "abcdefghijkmnpqrstuvwxyz"
    digits = "23456789"
    symbols = "@#%+=?"
    alphabet = upper + lower + digits + symbols
    while True:
        chars = [secrets.choice(upper), secrets.choice(lower), secrets.choice(digits), secrets.choice(symbols)]
        chars += [secrets.choice(alphabet) for _ in range(8)]
        secrets.SystemRandom().shuffle(chars)
        candidate = "".join(chars)
        if not policy_problems(candidate):
            return candidate


