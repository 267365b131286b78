"""The document archive: files written once, never overwritten, each with its SHA-256.

A final document is never replaced; a new render is a new version under a new path. A job may
run twice (RQ does not deduplicate), so storing the same bytes at the same path again is a no-op
that returns the same digest, while different bytes at an existing path are refused.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path, PurePosixPath

_CHUNK = 1 << 20


class ArchiveConflict(FileExistsError):
    """The archive already holds a different file at this path."""


class UnsafeArchivePath(ValueError):
    """The relative path would leave the archive (absolute, ``..``, or through a symlink)."""


def _resolve(archive_dir: str | Path, relpath: str) -> Path:
    """The absolute path of ``relpath`` inside ``archive_dir``, or UnsafeArchivePath."""
    rel = PurePosixPath(relpath)
    if (not relpath or "\\" in relpath or "\x00" in relpath or rel.is_absolute()
            or any(part in ("", ".", "..") for part in relpath.split("/"))):
        raise UnsafeArchivePath(f"非法的归档路径：{relpath!r}")
    root = Path(archive_dir).resolve()
    path = (root / rel).resolve()  # follows symlinks, so a link pointing out is caught too
    if not path.is_relative_to(root):
        raise UnsafeArchivePath(f"归档路径超出归档目录：{relpath!r}")
    return path


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store(archive_dir: str | Path, relpath: str, data: bytes) -> tuple[str, int]:
    """Write ``data`` at ``archive_dir/relpath`` once; return ``(sha256 hex, size)``.

    The bytes go to a temporary file in the target folder and are fsynced, then hard-linked
    to the final name: ``os.link`` fails if the name exists, so a file is never overwritten and
    a reader never sees a half-written one. If the name exists with the same content, the call
    is idempotent; with other content it raises :class:`ArchiveConflict`.
    """
    final = _resolve(archive_dir, relpath)
    digest = hashlib.sha256(data).hexdigest()
    final.parent.mkdir(parents=True, exist_ok=True)

    fd, tmp = tempfile.mkstemp(dir=final.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
            # Archived files are read-only (owner and group, e.g. the web process may read).
            os.fchmod(f.fileno(), 0o440)
        try:
            os.link(tmp, final)
        except FileExistsError:
            existing = sha256_file(final)
            if existing != digest:
                raise ArchiveConflict(
                    f"归档文件已存在且内容不同，拒绝覆盖：{relpath}"
                    f"（已有 {existing[:12]}…，新 {digest[:12]}…）") from None
            return digest, len(data)
    finally:
        os.unlink(tmp)

    _fsync_dir(final.parent)  # make the new name itself durable
    return digest, len(data)


def open_archived(archive_dir: str | Path, relpath: str) -> Path:
    """The path of an archived file, checked to be inside the archive and to exist.

    Raises UnsafeArchivePath for a path that leaves the archive, FileNotFoundError if missing.
    """
    path = _resolve(archive_dir, relpath)
    if not path.is_file():
        raise FileNotFoundError(f"归档文件不存在：{relpath}")
    return path


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
