"""Uploaded attachments: checked by type and content, stored under UPLOAD_DIR by a random name."""
import hashlib
import os
import uuid
from datetime import date

from flask import current_app

from .models import Attachment

ALLOWED = {  # extension -> (content type, magic prefix)
    "pdf": ("application/pdf", b"%PDF"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
}
MAX_FILE_BYTES = 10 * 1024 * 1024
# What a browser may show in its own tab, with the bytes every such file starts with. Anything else
# (docx, xlsx, zip, html …) is sent as a download, whatever its stored content type says.
INLINE_TYPES = {
    "application/pdf": (b"%PDF",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}


def check(storage) -> str | None:
    """A Chinese error message for an unacceptable upload, or None."""
    name = storage.filename or ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        return f"「{name}」的格式不支持，请上传 PDF、JPG 或 PNG 文件"
    head = storage.stream.read(8)
    storage.stream.seek(0, os.SEEK_END)
    size = storage.stream.tell()
    storage.stream.seek(0)
    if size == 0:
        return f"「{name}」是空文件"
    if size > MAX_FILE_BYTES:
        return f"「{name}」超过10MB，请压缩后再上传"
    if not head.startswith(ALLOWED[ext][1]):
        return f"「{name}」的内容与扩展名不符，请上传真实的 PDF、JPG 或 PNG 文件"
    return None


def check_batch(files, max_files: int) -> tuple[list, str | None]:
    """The files a form really sent (an empty file input sends one with no name), and a Chinese
    message for the first problem (too many, or one `check` refuses), or None."""
    files = [f for f in (files or ()) if f and f.filename]
    if len(files) > max_files:
        return files, f"一次最多上传{max_files}个文件"
    return files, next((problem for problem in map(check, files) if problem), None)


def store(storage, written: list[str]) -> dict:
    """Write a checked file under UPLOAD_DIR by a random name; return what a file row records
    (filename, storage_path, sha256, size, content_type). `written` collects paths so the caller
    can delete them if the transaction fails. Modules with files of their own (not a request's
    attachments) keep these values in their own table."""
    name = os.path.basename(storage.filename or "file")
    ext = name.rsplit(".", 1)[-1].lower()
    rel = f"{date.today():%Y/%m}/{uuid.uuid4().hex}.{ext}"
    path = os.path.join(current_app.config["UPLOAD_DIR"], rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data = storage.stream.read()
    with open(path, "xb") as f:
        f.write(data)
    written.append(path)
    return {"filename": name[:255], "storage_path": rel, "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data), "content_type": ALLOWED[ext][0]}


def save(storage, kind: str, user, written: list[str]) -> Attachment:
    """Write the file and return an unsaved Attachment (see `store`)."""
    return Attachment(kind=kind, uploaded_by_id=user.id, **store(storage, written))


def stored_path(att: Attachment) -> str:
    """Where an attachment's file lives on disk."""
    return os.path.join(current_app.config["UPLOAD_DIR"], att.storage_path)


def discard(written: list[str]) -> None:
    for path in written:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
