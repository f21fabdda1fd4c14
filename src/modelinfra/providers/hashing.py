"""Streaming SHA-256 of local files: constant memory, whatever the file size.

``file_sha256`` caches by (path, inode, size, mtime_ns), so a plan followed by an apply in the
same process hashes a large model file once; any change to the file changes the key.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

CHUNK = 1024 * 1024

_cache: dict[tuple[str, int, int, int], str] = {}
_lock = threading.Lock()


def file_sha256(path: Path | str) -> str:
    """Hex SHA-256 of the file's bytes, read in 1 MiB chunks. ``OSError`` if unreadable."""
    path = Path(path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    with _lock:
        _cache[key] = value
    return value
