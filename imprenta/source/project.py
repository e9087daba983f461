"""The only module that reads fuente/: source files (encoding checks), metadata and the templates folder."""

from __future__ import annotations

import difflib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..document import SourceFile
from ..errors import ConfigError, Location, Problems, display_path
from .dialect import front_matter
from .limits import check_limits
from .metadata import Metadata, load_metadata
from .mkdocs import MkDocsSite, is_config, read_site

log = logging.getLogger(__name__)


@dataclass
class Project:
    """The master, its metadata and the templates, located and checked before anything is built."""

    config: Config
    master: SourceFile
    meta: Metadata
    site: MkDocsSite | None = None  # when the master is an MkDocs config

    @property
    def content_dir(self) -> Path:
        """Where the document's Markdown lives: the master's folder, or the docs_dir of an MkDocs config."""
        return self.site.docs_dir if self.site else self.config.master.parent.resolve()

    @property
    def root(self) -> Path:
        """The project's folder, which images and included files may not leave: the one that holds fuente/ (for an
        MkDocs config, the folder that holds both the config and its docs_dir)."""
        master_dir = self.config.master.parent.resolve()
        if self.site is None:
            return master_dir.parent
        return Path(os.path.commonpath([master_dir, self.site.docs_dir]))


def exists(path: Path, kind: str = "file") -> bool:
    """Whether a file (or any entry) exists; a name too long or otherwise impossible simply does not."""
    try:
        return path.is_file() if kind == "file" else path.exists()
    except OSError:
        return False


def suggest_file(missing: Path) -> str | None:
    """The name of an existing file close to a missing one, for '¿quiso decir...?' hints."""
    folder = missing.parent
    try:
        if not folder.is_dir():
            return None
    except OSError:
        return None
    names = [p.name for p in folder.iterdir() if p.is_file()]
    close = difflib.get_close_matches(missing.name, names, n=1, cutoff=0.6)
    return close[0] if close else None


def read_source(path: Path, problems: Problems, cited_at: Location) -> SourceFile | None:
    """Read a Markdown source: strict UTF-8 (BOM and CRLF accepted); report and return None when unusable."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        close = suggest_file(path)
        problems.error(
            cited_at,
            f"no se encontró el archivo {path.name}",
            "fuente.falta",
            f"¿quiso decir «{close}»?" if close else f"compruebe la ruta; se busca en {display_path(path.parent)}/",
        )
        return None
    except OSError as exc:
        problems.error(cited_at, f"no se pudo leer {path.name}: {exc.strerror}", "fuente.ilegible")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        problems.error(
            Location(path, line),
            f"el archivo no está en UTF-8 (byte 0x{raw[exc.start]:02x} en la posición {exc.start})",
            "fuente.codificacion",
            "guarde el archivo con codificación UTF-8 en su editor (suele estar en «Guardar como»)",
        )
        return None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    source = SourceFile(path=path, text=text)
    return source if check_limits(source, len(raw), problems) else None


def _first_heading(source: SourceFile) -> str:
    """The text of a source's first ATX heading, without its marks and attributes ("" when it has none)."""
    for number in source.heading_lines():
        line = source.lines[number - 1].strip()
        if line.startswith("#"):
            return re.sub(r"\s*\{[^}]*\}\s*$", "", line.lstrip("#").strip().rstrip("#").strip())
    return ""


def check_templates(config: Config, needed: list[str]) -> None:
    """Every file of plantillas/ the outputs asked for will read (formats.required_templates names them)."""
    missing = [name for name in needed if not (config.templates_dir / name).is_file()]
    if missing:
        regenerable = {"referencia.docx", "referencia.odt"}
        raise ConfigError(
            f"faltan plantillas en {config.templates_dir}: {', '.join(missing)}",
            "regenere las referencias con: python build.py referencia"
            if set(missing) <= regenerable and (config.templates_dir / "estilos-docx.toml").is_file()
            else "indique la carpeta de plantillas con --plantillas DIR",
        )


def load_project(config: Config, problems: Problems) -> Project:
    """Find and read the master, its metadata and check the templates; every problem is reported."""
    if not config.master.is_file():
        raise ConfigError(
            f"no se encontró el documento maestro {config.master}",
            "indique otro con --fuente RUTA/archivo.md, o ejecute la orden desde la raíz del proyecto",
        )
    site = None
    if is_config(config.master):
        site = read_site(config.master, problems)
        master: SourceFile | None = site.master
        for line, title, address in site.skipped:
            log.info("%s:%d: la entrada «%s» del nav es una dirección externa (%s): no forma parte del documento",
                     display_path(config.master), line, title, address)
    else:
        master = read_source(config.master, problems, Location(config.master, 1))
    problems.stop_if_errors()
    assert master is not None
    # The title when there is no metadatos.toml: MkDocs' site_name, or the master's front matter title, its first
    # heading, its file name.
    fallback = site.site_name if site else str(front_matter(master.text).get("title") or _first_heading(master)
                                                or config.master.stem)
    meta = load_metadata(config.master, fallback, problems)
    return Project(config=config, master=master, meta=meta, site=site)
