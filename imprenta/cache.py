"""Content-hash cache for conversions: a key names its inputs, a missing or empty entry is simply rebuilt."""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .publish import atomic_write


@functools.lru_cache(maxsize=4096)
def _digest(path: Path, size: int, mtime_ns: int) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (memoised per content stamp within one process)."""
    st = path.stat()
    return _digest(path, st.st_size, st.st_mtime_ns)


class Cache:
    """Files stored under <cache>/<namespace>/<key><suffix>, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @staticmethod
    def key(*parts: str) -> str:
        """A key from every input that shapes a result: content hashes, tool versions, parameters."""
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]

    def path(self, namespace: str, key: str, suffix: str) -> Path:
        return self.root / namespace / f"{key}{suffix}"

    def lookup(self, namespace: str, key: str, suffix: str) -> Path | None:
        """The cached file, or None; an empty (interrupted) entry counts as missing."""
        path = self.path(namespace, key, suffix)
        try:
            return path if path.stat().st_size > 0 else None
        except OSError:
            return None

    def store(self, namespace: str, key: str, suffix: str, produced: Path) -> Path:
        """Copy a produced file into the cache atomically and return its cached path."""
        return atomic_write(self.path(namespace, key, suffix), source=produced)

    def store_bytes(self, namespace: str, key: str, suffix: str, data: bytes) -> Path:
        """Write bytes into the cache atomically and return their cached path."""
        return atomic_write(self.path(namespace, key, suffix), data)

    def sweep(self, older_than: float = 24 * 3600) -> int:
        """Remove scratch folders and half-stored files left by builds that were killed (a day old or more)."""
        limit = time.time() - older_than
        removed = 0
        leftovers = list((self.root / "tmp").glob("*")) + list(self.root.glob("*/.tmp-*"))
        for path in leftovers:
            try:
                if path.lstat().st_mtime >= limit:
                    continue
                shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
                removed += 1
            except OSError:
                continue
        return removed

    @contextmanager
    def workdir(self) -> Iterator[Path]:
        """A private scratch folder inside the cache, removed afterwards."""
        base = self.root / "tmp"
        base.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=base) as name:
            yield Path(name)
