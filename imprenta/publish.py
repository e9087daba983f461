"""Writing files that are never half-written: one atomic write, the all-or-nothing publication, one build at a time."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .config import Config
from .errors import ConfigError, display_path


def atomic_write(path: Path, data: bytes | None = None, *, source: Path | None = None) -> Path:
    """Write data (or a copy of source) to path: a hidden file beside it first, then a rename.

    Readers see the old file or the new one, never a part; a killed write leaves only a hidden `.tmp-` file,
    which Cache.sweep removes once it is old.
    """
    if (data is None) == (source is None):
        raise TypeError("atomic_write takes data or source, not both")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".tmp-{path.name}.", suffix=".parcial")
    try:
        with os.fdopen(fd, "wb") as handle:
            if data is not None:
                handle.write(data)
            else:
                assert source is not None
                with source.open("rb") as original:
                    shutil.copyfileobj(original, handle)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def publish(staged: dict[str, Path], output_dir: Path) -> dict[str, Path]:
    """Move finished files into the output folder, each replaced atomically (never half-written)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    published: dict[str, Path] = {}
    for name, path in staged.items():
        final = output_dir / path.name
        if path.is_dir():
            _replace_folder(path, final)
        else:
            try:
                os.replace(path, final)
            except OSError:
                atomic_write(final, source=path)  # another file system: copy beside the target, then rename
        published[name] = final
    return published


def _replace_folder(staged: Path, final: Path) -> None:
    """A finished folder (the web edition) in place of the old one: moved in beside it, then swapped by renames."""
    incoming = final.with_name(f".tmp-{final.name}.nuevo")
    outgoing = final.with_name(f".tmp-{final.name}.anterior")
    for leftover in (incoming, outgoing):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        os.replace(staged, incoming)
    except OSError:
        shutil.copytree(staged, incoming)  # another file system
    if final.exists():
        os.replace(final, outgoing)
    os.replace(incoming, final)
    shutil.rmtree(outgoing, ignore_errors=True)


@contextmanager
def project_lock(config: Config) -> Iterator[None]:
    """One build at a time per project: a second one started meanwhile stops with a clear message.

    The lock is an flock on a file in the cache (not in salida/), so the kernel drops it when the process
    ends, even when it is killed: there is never a stale lock to clean up.
    """
    folder = config.cache_dir / "bloqueos"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(config.master.resolve()).encode("utf-8")).hexdigest()[:16]
    with open(folder / f"{name}.lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise ConfigError(
                f"otra compilación de {display_path(config.master)} está en curso (proceso {holder})",
                "espere a que termine y vuelva a compilar; las dos a la vez se pisarían las salidas",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
