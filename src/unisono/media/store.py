"""Content-addressed file storage for attachment bytes under ``UNISONO_MEDIA_DIR``.

Files are named by their SHA-256, so the same recording or document is stored once and its name
proves its content. Several API processes share the directory (a shared volume in production).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from unisono.config import get_settings
from unisono.errors import NotFound

MAX_MEDIA_BYTES = 50 * 1024 * 1024


def media_root() -> Path:
    return Path(get_settings().media_dir)


def _path(sha256: str) -> Path:
    if len(sha256) != 64 or not all(c in "0123456789abcdef" for c in sha256):
        raise NotFound("no such media")
    return media_root() / sha256[:2] / sha256


def put_bytes(data: bytes) -> str:
    """Store ``data`` (atomically, once); returns its SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    target = _path(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename: a reader never sees half a file, a crash leaves only a temp file.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return digest


def read_bytes(sha256: str) -> bytes:
    """The stored bytes with this SHA-256."""
    path = _path(sha256)
    if not path.exists():
        raise NotFound("the media file is missing from storage")
    return path.read_bytes()


def delete_bytes(sha256: str) -> None:
    """Remove stored bytes (erasure); missing files are fine."""
    _path(sha256).unlink(missing_ok=True)
