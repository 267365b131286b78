"""Personal numbers at rest: 身份证号 and phone numbers are encrypted with the application's data key.

- `Encrypted` is a column type: the value is a Fernet token in the database and plain text in
  Python. Fernet is authenticated encryption (AES-128-CBC + HMAC-SHA256) from `cryptography`.
- `blind_index()` is a keyed hash (HMAC-SHA256) of a normalized value, stored beside the token so
  that an exact search by 身份证号 needs no decryption.
- The key: `DANGJIAN_DATA_KEY` from the environment (several keys separated by commas: the first
  encrypts, all decrypt, so a key can be rotated by putting a new one in front), else one
  generated once into `instance/data_key`. Losing the key loses every encrypted number: back it
  up (README).
- The keyed hash is derived from the LAST key listed (the oldest), so rotating by putting a new key
  in front changes nothing for search. Removing the oldest key changes the hash key: re-index then.
"""
import base64
import hashlib
import hmac
import os
import unicodedata

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class DataKeyError(RuntimeError):
    """A data key that cannot be used: the app refuses to start rather than fail on first use."""


def check_keys(keys: list[str], source: str) -> list[str]:
    if not keys:
        raise DataKeyError(f"{source} 中没有数据密钥")
    for i, key in enumerate(keys, 1):
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise DataKeyError(f"{source} 的第 {i} 个数据密钥无效：应为 Fernet 密钥（32 字节的 URL 安全 Base64，"
                               f"可用 Fernet.generate_key() 生成）") from None
    return keys


def load_data_keys(instance_path: str) -> list[str]:
    """The data keys: from DANGJIAN_DATA_KEY, else instance/data_key (created on first run)."""
    if os.environ.get("DANGJIAN_DATA_KEY", "").strip():
        keys = [k.strip() for k in os.environ["DANGJIAN_DATA_KEY"].split(",") if k.strip()]
        return check_keys(keys, "DANGJIAN_DATA_KEY")
    path = os.path.join(instance_path, "data_key")
    if not os.path.exists(path):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(Fernet.generate_key().decode())
    with open(path) as f:
        return check_keys([k.strip() for k in f.read().split(",") if k.strip()], path)


def _keys() -> list[str]:
    keys = current_app.config.get("DATA_KEYS")
    if not keys:
        raise RuntimeError("DATA_KEYS is not configured (create_app sets it)")
    return keys


def _fernet() -> MultiFernet:
    cache = current_app.extensions.setdefault("dangjian_fernet", {})
    keys = tuple(_keys())
    if keys not in cache:
        cache.clear()
        cache[keys] = MultiFernet([Fernet(k.encode()) for k in keys])
    return cache[keys]


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken as e:
        raise DataKeyError("个人信息无法解密：数据密钥（DANGJIAN_DATA_KEY / instance/data_key）与加密时不一致") from e


def normalize_for_index(value: str) -> str:
    """What the hash sees: full-width characters made half-width (NFKC), every space removed,
    upper case (the check character x of a 身份证号 is X)."""
    return "".join(unicodedata.normalize("NFKC", value).split()).upper()


def blind_index(value: str | None) -> str | None:
    """A keyed hash (HMAC-SHA256) for exact search. Its key is derived from the last (oldest) data
    key, so putting a new key in front for rotation leaves every stored hash valid."""
    normalized = normalize_for_index(value or "")
    if not normalized:
        return None
    raw = base64.urlsafe_b64decode(_keys()[-1].encode())
    mac_key = hashlib.sha256(b"dangjian-blind-index:" + raw).digest()
    return hmac.new(mac_key, normalized.encode("utf-8"), hashlib.sha256).hexdigest()


class Encrypted(TypeDecorator):
    """A text column stored as a Fernet token. Empty strings stay empty (nothing to hide)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None or value == "":
            return value
        return encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None or value == "":
            return value
        return decrypt(value)
