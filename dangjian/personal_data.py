"""Personal numbers at rest: 身份证号 and phone numbers are encrypted with the application's data key.

- `Encrypted` is a column type: the value is a Fernet token in the database and plain text in
  Python. Fernet is authenticated encryption (AES-128-CBC + HMAC-SHA256) from `cryptography`.
- `blind_index()` is a keyed hash (HMAC-SHA256) of a normalized value, stored beside the token so
  that an exact search by 身份证号 needs no decryption.
- The key: `DANGJIAN_DATA_KEY` from the environment (several keys separated by commas: the first
  encrypts, all decrypt, so a key can be rotated), else one generated once into
  `instance/data_key`. Losing the key loses every encrypted number: back it up (README).
"""
import base64
import hashlib
import hmac
import os

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


def load_data_keys(instance_path: str) -> list[str]:
    """The data keys: from DANGJIAN_DATA_KEY, else instance/data_key (created on first run)."""
    if os.environ.get("DANGJIAN_DATA_KEY"):
        return [k.strip() for k in os.environ["DANGJIAN_DATA_KEY"].split(",") if k.strip()]
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
        return [f.read().strip()]


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
        raise RuntimeError("个人信息无法解密：数据密钥（DANGJIAN_DATA_KEY / instance/data_key）与加密时不一致") from e


def blind_index(value: str | None) -> str | None:
    """A keyed hash for exact search. The key is derived from the first data key, so the index
    does not change when encryption keys rotate behind it (rotate the index with the migration tool)."""
    if not value:
        return None
    normalized = value.strip().upper()
    raw = base64.urlsafe_b64decode(_keys()[0].encode())
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
