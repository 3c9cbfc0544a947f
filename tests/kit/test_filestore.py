"""The local folder store: content-addressed, atomic, keys that cannot leave the folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from oncegov.config import settings
from oncegov.kit.filestore import (
    FileCorrupted,
    FileMissing,
    LocalFolderStore,
    file_store,
    validate_key,
)


def test_put_open_exists_delete(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path)
    data = b"%PDF-1.7 Nguy\xe1\xbb\x85n Th\xe1\xbb\x8b H\xe1\xba\xb1ng"
    stored = store.put(data)
    digest = hashlib.sha256(data).hexdigest()
    assert stored.key == stored.sha256 == digest
    assert stored.size == len(data)
    assert store.exists(digest)
    assert store.open(digest) == data
    # sharded by the first four digits, no temporary file left behind
    assert (tmp_path / digest[:2] / digest[2:4] / digest).read_bytes() == data
    assert [p.name for p in (tmp_path / digest[:2] / digest[2:4]).iterdir()] == [digest]
    store.delete(digest)
    assert not store.exists(digest)
    store.delete(digest)  # deleting again is not an error
    with pytest.raises(FileMissing):
        store.open(digest)


def test_same_content_is_one_file(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path)
    first = store.put(b"one")
    second = store.put(b"one")
    other = store.put(b"two")
    assert first == second
    assert other.key != first.key
    assert len([p for p in tmp_path.rglob("*") if p.is_file()]) == 2


def test_empty_content_is_storable(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path)
    stored = store.put(b"")
    assert stored.size == 0
    assert store.open(stored.key) == b""


@pytest.mark.parametrize(
    "key",
    [
        "../" + "a" * 61,
        "/etc/passwd",
        "a" * 63,
        "a" * 65,
        "A" * 64,
        "g" * 64,
        "aa/bb/" + "c" * 58,
        "",
        "a" * 63 + "\n",
    ],
)
def test_keys_outside_the_shape_are_refused(tmp_path: Path, key: str) -> None:
    store = LocalFolderStore(tmp_path)
    with pytest.raises(ValueError, match="file-store key"):
        validate_key(key)
    for action in (store.open, store.exists, store.delete):
        with pytest.raises(ValueError, match="file-store key"):
            action(key)


def test_tampered_content_is_detected(tmp_path: Path) -> None:
    store = LocalFolderStore(tmp_path)
    stored = store.put(b"original")
    store.path_of(stored.key).write_bytes(b"changed")
    with pytest.raises(FileCorrupted):
        store.open(stored.key)
    # put repairs a damaged copy of different length
    store.put(b"original")
    assert store.open(stored.key) == b"original"


def test_failed_write_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalFolderStore(tmp_path)

    def broken_fsync(_fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("oncegov.kit.filestore.os.fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        store.put(b"never stored")
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_factory_uses_the_configured_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "file_store_dir", tmp_path / "store")
    store = file_store()
    assert isinstance(store, LocalFolderStore)
    stored = store.put(b"x")
    assert (tmp_path / "store" / stored.key[:2] / stored.key[2:4] / stored.key).is_file()
