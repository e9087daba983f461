"""The build's identity: which source files make the document, their SHA-256, the git revision, a zip of them."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .document import Document
from .tools import git_revision

IMAGES_FOLDER = "imagenes"


@dataclass(frozen=True)
class Identity:
    """What the colophon prints and the PDF carries: the sources, their digest and their revision."""

    root: Path
    files: tuple[Path, ...]
    digest: str
    revision: str


def _visible_files(folder: Path) -> list[Path]:
    """Every file under folder, hidden files and folders (.git, caches) left out."""
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found.extend(Path(dirpath) / f for f in sorted(filenames) if not f.startswith("."))
    return found


def source_files(doc: Document) -> tuple[Path, tuple[Path, ...]]:
    """The master's folder, the imagenes/ folder beside it and every image used, under their common root."""
    master_dir = doc.master.path.parent
    folders = [master_dir]
    images_dir = master_dir.parent / IMAGES_FOLDER
    if images_dir.is_dir():
        folders.append(images_dir)
    files = {p.resolve() for folder in folders for p in _visible_files(folder)}
    files.update(image.path.resolve() for image in doc.images)
    files.update(source.path.resolve() for source in doc.sources)
    root = Path(os.path.commonpath([master_dir.parent.resolve(), *files]))
    return root, tuple(sorted(files, key=lambda p: p.relative_to(root).as_posix()))


def _digest(root: Path, files: tuple[Path, ...]) -> str:
    """SHA-256 over each file's relative path and bytes: any edit, rename or new file changes it."""
    h = hashlib.sha256()
    for path in files:
        name = path.relative_to(root).as_posix().encode("utf-8")
        data = path.read_bytes()
        h.update(len(name).to_bytes(4, "big") + name + len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def identify(doc: Document) -> Identity:
    """The identity of the sources a document was built from (git runs twice: the pipeline computes it once)."""
    root, files = source_files(doc)
    return Identity(root=root, files=files, digest=_digest(root, files), revision=git_revision(root, files))


def zip_date_time(stamp: dt.datetime) -> tuple[int, int, int, int, int, int]:
    """A zip entry's date from the metadata stamp (zip cannot date anything before 1980)."""
    return (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)


def sources_zip(identity: Identity, stamp: dt.datetime) -> bytes:
    """A zip of the sources with fixed dates and permissions, so the same sources give the same bytes."""
    date_time = zip_date_time(stamp)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in identity.files:
            info = zipfile.ZipInfo(path.relative_to(identity.root).as_posix(), date_time=date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()
