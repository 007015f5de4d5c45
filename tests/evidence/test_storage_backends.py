"""The folder backend of the storage aliases (``DurableFileSystemStorage``): it follows its setting,
and a save is private, durable and atomic, as the files the store and the upload keeper wrote
themselves before they went through Django's storage API (issue 13)."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile, File
from django.core.files.storage import storages

from zhenggai.evidence import storage as file_storage
from zhenggai.evidence.storage import DurableFileSystemStorage


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def test_the_default_aliases_are_folders_that_follow_their_settings(settings: Any, tmp_path: Path) -> None:
    evidence, kept = storages["evidence"], storages["uploads"]
    assert isinstance(evidence, DurableFileSystemStorage) and isinstance(kept, DurableFileSystemStorage)
    assert Path(evidence.location) == Path(settings.EVIDENCE_DIR)
    assert Path(kept.location) == Path(settings.UPLOAD_TMP_DIR)
    settings.EVIDENCE_DIR = tmp_path / "elsewhere"
    assert Path(storages["evidence"].location) == tmp_path / "elsewhere"


def test_a_save_is_private_whatever_the_umask_and_replaces_the_same_name(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(tmp_path / "root")
    old = os.umask(0o022)
    try:
        assert storage.save("import/7/abc", ContentFile(b"first")) == "import/7/abc"
        assert storage.save("import/7/abc", ContentFile(b"second")) == "import/7/abc"
    finally:
        os.umask(old)
    target = tmp_path / "root" / "import" / "7" / "abc"
    assert target.read_bytes() == b"second"
    assert _mode(target) == 0o600
    assert [_mode(p) for p in (tmp_path / "root", target.parent.parent, target.parent)] == [0o700] * 3
    assert sorted(p.name for p in target.parent.iterdir()) == ["abc"]


def test_the_file_is_fsynced_before_the_rename_and_the_folder_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("dir-fsync" if os.path.isdir(f"/proc/self/fd/{fd}") else "file-fsync")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        calls.append("replace")
        real_replace(src, dst)

    storage = DurableFileSystemStorage(tmp_path)
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    storage.save("a/b", ContentFile(b"data"))
    assert calls.index("file-fsync") < calls.index("replace") < len(calls) - 1
    assert calls[-1] == "dir-fsync"


class _Breaks(File):
    """Content that gives one chunk and then fails (a dropped connection)."""

    def chunks(self, chunk_size: int | None = None) -> Any:
        yield b"half"
        raise OSError("connection reset")


def test_a_save_that_fails_midway_leaves_nothing(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(tmp_path)
    storage.save("k/name", ContentFile(b"kept"))
    with pytest.raises(OSError, match="connection reset"):
        storage.save("k/name", _Breaks(None, name="name"))
    assert [p.name for p in (tmp_path / "k").iterdir()] == ["name"]
    assert (tmp_path / "k" / "name").read_bytes() == b"kept"


def test_entries_list_the_files_of_a_folder_with_size_and_time(tmp_path: Path) -> None:
    storage = DurableFileSystemStorage(tmp_path)
    storage.save("f/one", ContentFile(b"1"))
    storage.save("f/two", ContentFile(b"22"))
    storage.save("f/sub/three", ContentFile(b"333"))
    found = sorted((e.name, e.size) for e in file_storage.entries(storage, "f"))
    assert found == [("one", 1), ("two", 2)]
    assert file_storage.folders(storage, "f") == ["sub"]
    assert file_storage.entries(storage, "missing") == [] and file_storage.folders(storage, "missing") == []
