"""A file an entity sent back, opened as untrusted: what it really is (DOCX, ODT, Word 97-2003, RTF, encrypted,
damaged, a ZIP bomb), its XML parts read within bounds and refused if they declare a DOCTYPE, and the stamp
Imprenta put in the annotation copy (version, source revision, digest) that says which round it answers."""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import ImprentaError, ToolError
from ..importing.officefile import MAX_FILE_BYTES, OfficeFileError, identify, read_member
from ..importing.prepare import parse_part
from ..tools import find_program, install_hint, libreoffice_convert

MAX_PART_BYTES = 64 * 1024 * 1024  # what one XML part may decompress to, counted while reading
MAX_RATIO = 150  # XML compresses about 10:1; a part that inflates 150 times its size is a ZIP bomb
DOCX_PARTS = re.compile(r"^word/(document|comments|commentsExtended|footnotes|endnotes|settings|header\d*|footer\d*)\.xml$"
                        r"|^docProps/(custom|core)\.xml$")
ODT_PARTS = ("content.xml", "meta.xml", "settings.xml", "styles.xml")


class ReturnedFileError(ImprentaError):
    """A returned file that cannot be read safely; the others are still collected."""

    category = "observaciones"


@dataclass
class Returned:
    """A returned document ready to read: its kind, parsed parts, the stamp of the copy it annotates."""

    path: Path
    kind: str  # docx or odt
    digest: str
    parts: dict[str, etree._Element]
    properties: dict[str, str] = field(default_factory=dict)  # version, revision_fuentes, huella_fuentes, title...
    converted_from: str = ""  # "doc" or "rtf" when LibreOffice converted it first

    @property
    def revision(self) -> str:
        """The git revision of the sources the annotated copy was made from ("" when unknown)."""
        return self.properties.get("revision_fuentes", "").split(" ")[0]


def open_returned(path: Path) -> Returned:
    """Open a returned file, or raise ReturnedFileError naming its real cause."""
    if path.suffix.lower() in (".doc", ".rtf") and path.is_file() and path.stat().st_size <= MAX_FILE_BYTES:
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith((bytes.fromhex("d0cf11e0"), b"{\\rtf")):
            return _converted(path)
    try:
        office = identify(path)
    except OfficeFileError as exc:
        if "Word 97-2003" in exc.message or "RTF" in exc.message:
            return _converted(path)
        raise _as_returned(exc, path) from exc
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    parts: dict[str, etree._Element] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            wanted = [n for n in names if DOCX_PARTS.match(n)] if office.kind == "docx" else \
                [n for n in ODT_PARTS if n in names]
            for name in wanted:
                parts[name] = parse_part(read_member(archive, name, limit=MAX_PART_BYTES, ratio=MAX_RATIO), name)
    except OfficeFileError as exc:
        raise _as_returned(exc, path) from exc
    except zipfile.BadZipFile as exc:
        raise ReturnedFileError(f"está dañado (su ZIP no se puede leer: {exc})",
                                "pida a la entidad que lo envíe de nuevo") from exc
    returned = Returned(path, office.kind, digest, parts)
    returned.properties = _properties(returned)
    return returned


def _as_returned(exc: OfficeFileError, path: Path) -> ReturnedFileError:
    """The importer's message, said of a returned file: without its name (the line already gives it) and with a
    hint for the team, who asks the entity."""
    message = exc.message.removeprefix(f"{path.name} ")
    hint = exc.hint or ""
    if "importe" in hint or not hint:
        hint = "pida a la entidad que lo envíe de nuevo, guardado como .docx u .odt"
    return ReturnedFileError(message, hint)


def _converted(path: Path) -> Returned:
    """A Word 97-2003 or RTF file: converted to DOCX by LibreOffice (headless, private profile, limited memory and
    time), then read like any DOCX; refused, naming the format, when LibreOffice is missing or fails."""
    kind = "rtf" if path.read_bytes()[:5] == b"{\\rtf" else "doc"
    label = "RTF" if kind == "rtf" else "Word 97-2003 (.doc)"
    if find_program("soffice") is None:
        raise ReturnedFileError(f"es un documento {label} y para leerlo hace falta LibreOffice", install_hint("soffice"))
    work = Path(tempfile.mkdtemp(prefix="imprenta-devuelto-"))
    try:
        source = work / f"devuelto.{kind}"
        shutil.copyfile(path, source)
        try:
            converted = libreoffice_convert(source, "docx", work, f"LibreOffice (lectura de {path.name})")
        except ToolError as exc:
            raise ReturnedFileError(f"es un documento {label} que LibreOffice no pudo convertir: {exc.message}",
                                    "pida a la entidad el archivo en .docx u .odt") from exc
        returned = open_returned(converted)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    returned.path, returned.converted_from = path, kind
    returned.digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return returned


CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"


def _properties(returned: Returned) -> dict[str, str]:
    """The custom properties Imprenta stamped (Word keeps them in custom.xml, LibreOffice in meta.xml), and the
    title and author."""
    found: dict[str, str] = {}
    custom = returned.parts.get("docProps/custom.xml")
    if custom is not None:
        for prop in custom.iter(f"{CUSTOM}property"):
            found[prop.get("name", "")] = "".join(prop.itertext()).strip()
    core = returned.parts.get("docProps/core.xml")
    if core is not None:
        for element in core.iter(f"{DC}title", f"{DC}creator"):
            found[element.tag.split("}")[1]] = (element.text or "").strip()
    meta = returned.parts.get("meta.xml")
    if meta is not None:
        for prop in meta.iter(f"{META}user-defined"):
            found[prop.get(f"{META}name", "")] = (prop.text or "").strip()
        for element in meta.iter(f"{DC}title", f"{DC}creator", f"{META}initial-creator"):
            found.setdefault(element.tag.split("}")[1], (element.text or "").strip())
    return found


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CONFIG = "{urn:oasis:names:tc:opendocument:xmlns:config:1.0}"


def protected(returned: Returned) -> bool | None:
    """Whether the returned file still holds the protection the copy was sent with (None: unknown)."""
    if returned.kind == "docx":
        settings = returned.parts.get("word/settings.xml")
        if settings is None:
            return False
        protection = settings.find(f"{W}documentProtection")
        return protection is not None and protection.get(f"{W}enforcement") in ("1", "true", "on")
    settings = returned.parts.get("settings.xml")
    if settings is None:
        return None
    key = next((item for item in settings.iter(f"{CONFIG}config-item")
                if item.get(f"{CONFIG}name") == "RedlineProtectionKey"), None)
    return key is not None and bool((key.text or "").strip())
