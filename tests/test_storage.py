"""The document archive: written once, never overwritten, each file with its SHA-256."""
import hashlib
import os
import stat

import pytest

from dangjian.documents.storage import (ArchiveConflict, UnsafeArchivePath, open_archived,
                                        sha256_file, store)

PDF = b"%PDF-1.7 first render\n"


def files_under(root):
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_store_writes_file_returns_sha256_and_size_and_leaves_no_temp_file(tmp_path):
    digest, size = store(tmp_path, "2026/DF-2026-0007/dues_waiver_form-v1.pdf", PDF)

    final = tmp_path / "2026/DF-2026-0007/dues_waiver_form-v1.pdf"
    assert final.read_bytes() == PDF
    assert digest == hashlib.sha256(PDF).hexdigest() == sha256_file(final)
    assert size == len(PDF)
    assert files_under(tmp_path) == ["2026/DF-2026-0007/dues_waiver_form-v1.pdf"]
    assert not stat.S_IMODE(final.stat().st_mode) & 0o222, "archived files are read-only"


def test_storing_the_same_bytes_again_is_idempotent(tmp_path):
    """A job that runs twice leaves one file and reports the same digest."""
    first = store(tmp_path, "a/v1.pdf", PDF)
    inode = (tmp_path / "a/v1.pdf").stat().st_ino

    assert store(tmp_path, "a/v1.pdf", PDF) == first
    assert (tmp_path / "a/v1.pdf").stat().st_ino == inode
    assert files_under(tmp_path) == ["a/v1.pdf"]


def test_different_bytes_at_an_existing_path_are_refused_and_the_original_kept(tmp_path):
    store(tmp_path, "a/v1.pdf", PDF)

    with pytest.raises(ArchiveConflict) as err:
        store(tmp_path, "a/v1.pdf", b"%PDF-1.7 another render\n")

    assert isinstance(err.value, FileExistsError)
    assert (tmp_path / "a/v1.pdf").read_bytes() == PDF
    assert files_under(tmp_path) == ["a/v1.pdf"]


def test_a_failed_write_leaves_nothing_behind(tmp_path):
    with pytest.raises(TypeError):
        store(tmp_path, "a/v1.pdf", "not bytes")
    assert files_under(tmp_path) == []


@pytest.mark.parametrize("relpath", [
    "../outside.pdf", "a/../../outside.pdf", "/etc/outside.pdf", "", "a//b.pdf", "./a.pdf",
    "a\\..\\b.pdf", "a/\x00.pdf",
])
def test_paths_leaving_the_archive_are_refused(tmp_path, relpath):
    archive = tmp_path / "archive"
    with pytest.raises(UnsafeArchivePath):
        store(archive, relpath, PDF)
    with pytest.raises(UnsafeArchivePath):
        open_archived(archive, relpath)
    assert files_under(tmp_path) == []


def test_a_symlink_pointing_out_of_the_archive_is_refused(tmp_path):
    archive, outside = tmp_path / "archive", tmp_path / "outside"
    archive.mkdir()
    outside.mkdir()
    os.symlink(outside, archive / "link")

    with pytest.raises(UnsafeArchivePath):
        store(archive, "link/v1.pdf", PDF)
    assert list(outside.iterdir()) == []


def test_open_archived_returns_the_path_inside_the_archive(tmp_path):
    store(tmp_path, "2026/x/v1.pdf", PDF)

    path = open_archived(str(tmp_path), "2026/x/v1.pdf")

    assert path == (tmp_path / "2026/x/v1.pdf").resolve()
    assert path.read_bytes() == PDF
    with pytest.raises(FileNotFoundError):
        open_archived(tmp_path, "2026/x/v2.pdf")
