"""Uploaded rosters between preview and confirmation: kept on the server, never trusted from the
client. Each upload is UPLOAD_DIR/imports/<token>.xlsx with <token>.json beside it (who uploaded
it, what kind of import, its SHA-256, and the preview). The token is random and bound to the
user: anyone else gets nothing. Files older than a day are removed on the next upload.
"""
import hashlib
import json
import os
import re
import secrets
import time

from flask import current_app

TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
MAX_AGE_SECONDS = 24 * 3600
ZIP_MAGIC = b"PK\x03\x04"


class UploadRefused(ValueError):
    """The upload is not an .xlsx file we can read; the message is for the user."""


def import_dir() -> str:
    path = os.path.join(current_app.config["UPLOAD_DIR"], "imports")
    os.makedirs(path, mode=0o700, exist_ok=True)
    return path


def check(filename: str, data: bytes) -> None:
    name = filename or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if not data:
        raise UploadRefused("请选择要上传的 Excel 文件" if not name else f"「{name}」是空文件")
    if ext == "xls":
        raise UploadRefused(f"「{name}」是旧版 .xls 格式，请在 Excel 或 WPS 中「另存为」.xlsx 后再上传")
    if ext != "xlsx":
        raise UploadRefused(f"「{name}」不是 .xlsx 文件，请上传 Excel 工作簿（.xlsx）")
    if not data.startswith(ZIP_MAGIC):
        raise UploadRefused(f"「{name}」的内容不是 .xlsx 工作簿，请确认文件没有损坏")


def save(data: bytes, filename: str, kind: str, user_id: int) -> dict:
    """Store an upload and return its metadata (with the token)."""
    sweep()
    token = secrets.token_urlsafe(24)
    meta = {"token": token, "kind": kind, "user_id": user_id, "filename": os.path.basename(filename or "")[:200],
            "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "uploaded_at": time.time()}
    directory = import_dir()
    with open(os.path.join(directory, f"{token}.xlsx"), "xb") as f:
        f.write(data)
    write_meta(meta)
    return meta


def file_path(token: str) -> str:
    return os.path.join(import_dir(), f"{token}.xlsx")


def write_meta(meta: dict) -> None:
    path = os.path.join(import_dir(), f"{meta['token']}.json")
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(meta, f, ensure_ascii=False)
    os.replace(tmp, path)


def load(token: str, user_id: int, kinds) -> dict | None:
    """The upload's metadata, if the token is well-formed, belongs to this user and is of one of
    `kinds`, and the file is still the one uploaded (same SHA-256); else None."""
    if not token or not TOKEN.match(token):
        return None
    path = os.path.join(import_dir(), f"{token}.json")
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    if meta.get("user_id") != user_id or meta.get("kind") not in kinds:
        return None
    if time.time() - meta.get("uploaded_at", 0) > MAX_AGE_SECONDS:
        discard(token)
        return None
    try:
        with open(file_path(token), "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() != meta["sha256"]:
                return None
    except OSError:
        return None
    return meta


def discard(token: str) -> None:
    if not TOKEN.match(token or ""):
        return
    for suffix in (".xlsx", ".json"):
        try:
            os.remove(os.path.join(import_dir(), token + suffix))
        except FileNotFoundError:
            pass


def sweep() -> None:
    """Remove uploads nobody confirmed within a day."""
    directory = import_dir()
    cutoff = time.time() - MAX_AGE_SECONDS
    for name in os.listdir(directory):
        path = os.path.join(directory, name)
        try:
            if os.path.getmtime(path) < cutoff:
                os.remove(path)
        except OSError:
            pass
