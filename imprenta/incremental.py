"""Rebuilds that do nothing when nothing changed: a record of every input and output of the last good build.

This module stays light (standard library only) because it runs before the pipeline is even imported: a
no-change rebuild of a 400-page plan must answer in a fraction of a second and rewrite nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata as package_metadata
from pathlib import Path

from . import __version__
from .cache import file_digest
from .config import Config
from .publish import atomic_write
from .tools import git_revision

RECORD_VERSION = 1
# Packages whose upgrade can change an output byte: a record made with other versions is not trusted.
PACKAGES = ("weasyprint", "pypandoc-binary", "python-docx", "pikepdf", "pillow", "lxml")


def _stamp(path: Path) -> list:
    """[size, mtime_ns, sha256] of a file, or None when it does not exist (its absence is an input too)."""
    try:
        st = path.stat()
    except OSError:
        return [None, None, None]
    return [st.st_size, st.st_mtime_ns, file_digest(path)]


def _code() -> str:
    """A hash of Imprenta's own code: a build made by other code is not trusted either."""
    package = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        h.update(path.relative_to(package).as_posix().encode("utf-8") + file_digest(path).encode("ascii"))
    return h.hexdigest()[:16]


def _versions() -> dict[str, str]:
    found = {"imprenta": __version__, "codigo": _code(), "registro": str(RECORD_VERSION)}
    for name in PACKAGES:
        try:
            found[name] = package_metadata.version(name)
        except package_metadata.PackageNotFoundError:
            found[name] = "ausente"
    return found


def record_path(config: Config) -> Path:
    """One record per master, output folder, set of formats and strictness."""
    key = json.dumps([str(config.master), str(config.output_dir), sorted(config.formats), config.strict,
                      config.signature is not None, config.visible_signature])
    return config.cache_dir / "compilaciones" / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.json"


def _same(path: str, stamp: list) -> bool:
    """Whether a file is as recorded: same size and time (cheap), or failing that the same content."""
    size, mtime, digest = stamp
    try:
        st = os.stat(path)
    except OSError:
        return size is None
    if size is None or st.st_size != size:
        return False
    return st.st_mtime_ns == mtime or file_digest(Path(path)) == digest


def unchanged(config: Config) -> dict[str, Path] | None:
    """The outputs of the last build when every input, tool version, git revision and output is as recorded."""
    path = record_path(config)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if data.get("versiones") != _versions():
        return None
    if not all(_same(name, stamp) for name, stamp in data["entradas"].items()):
        return None
    if not all(_same(name, stamp) for name, stamp in data["salidas"].items()):
        return None
    files = tuple(Path(name) for name in data["entradas"] if Path(name).exists())
    if git_revision(Path(data["raiz"]), files) != data["revision"]:
        return None
    return {name: Path(output) for name, output in data["nombres"].items()}


def remember(config: Config, inputs: list[Path], root: Path, revision: str, outputs: dict[str, Path]) -> None:
    """Write the record of a build that succeeded (atomically; a broken record only costs a full build)."""
    data = {
        "versiones": _versions(),
        "raiz": str(root),
        "revision": revision,
        "entradas": {str(p.resolve()): _stamp(p) for p in sorted(set(inputs))},
        # A folder (the web edition) is recorded file by file.
        "salidas": {str(f.resolve()): _stamp(f) for p in outputs.values()
                    for f in (sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p])},
        "nombres": {name: str(p) for name, p in outputs.items()},
    }
    atomic_write(record_path(config), json.dumps(data, indent=1, sort_keys=True).encode("utf-8"))
