"""The file store: uploaded documents' bytes, kept by their SHA-256 (content-addressed).

``FileStore`` is the small interface the domains use; ``LocalFolderStore`` keeps the files in
a folder (the default, ``ONCEGOV_FILE_STORE_DIR``), and an object-storage backend can replace
it by implementing the same four methods. The store knows nothing of owners or permissions:
whoever serves a file checks first that the caller is its owner or a handling officer (the
domain's service decides; a key is never a capability).

Keys are the lowercase hex SHA-256 of the content, so the same file stored twice is one file,
and a key names exactly one content (``open`` checks it again on the way out).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from oncegov.config import settings

_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class StoredFile:
    key: str  # the content's SHA-256, lowercase hex
    sha256: str
    size: int


class FileMissing(LookupError):
    """No file is stored under this key."""


class FileCorrupted(RuntimeError):
    """The bytes stored under a key no longer hash to it (disk damage or tampering)."""


class FileStore(Protocol):
    def put(self, data: bytes) -> StoredFile: ...

    def open(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None: ...


def validate_key(key: str) -> str:
    """The key itself, or ``ValueError``: only 64 lowercase hex digits are keys, so no key can
    name a path outside the store (no ``..``, separators or absolute paths)."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError("not a file-store key (64 lowercase hex digits)")
    return key


class LocalFolderStore:
    """Files under ``root/ab/cd/<key>`` (two levels of 256 folders from the key's first four
    digits, so no folder grows past a few thousand entries). A file is written to a temporary
    name in its final folder, flushed and fsynced, then renamed into place (atomic on POSIX
    filesystems), and the folder is fsynced so the new name survives a crash too."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_of(self, key: str) -> Path:
        validate_key(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_of(digest)
        stored = StoredFile(key=digest, sha256=digest, size=len(data))
        if target.is_file() and target.stat().st_size == len(data):
            return stored  # the same content is already there
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _fsync_folder(target.parent)
        return stored

    def open(self, key: str) -> bytes:
        path = self.path_of(key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise FileMissing(key) from None
        if hashlib.sha256(data).hexdigest() != key:
            raise FileCorrupted(key)
        return data

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file; nothing happens when it is not there. Content-addressed: the
        caller deletes only when no record refers to this content any more."""
        path = self.path_of(key)
        path.unlink(missing_ok=True)
        _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    if not folder.is_dir():
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def file_store() -> FileStore:
    """The configured store: today always the local folder ``settings.file_store_dir``."""
    return LocalFolderStore(settings.file_store_dir)
