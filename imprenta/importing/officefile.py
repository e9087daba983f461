"""What an office file really is (DOCX, ODT, Word 97-2003, encrypted, damaged, not an office file at all), and
its ZIP members read within bounds: never more than a limit decompressed, whatever the headers declare."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImprentaError

MAX_FILE_BYTES = 200 * 1024 * 1024  # a long manual with its figures is tens of MB
MAX_MEMBER_BYTES = 256 * 1024 * 1024  # what one member may decompress to, counted while reading
OLE2 = bytes.fromhex("d0cf11e0a1b11ae1")
STRICT_W = b"http://purl.oclc.org/ooxml/wordprocessingml/main"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"


class OfficeFileError(ImprentaError):
    """An input that is not a DOCX or ODT Imprenta can read, with its real cause."""


@dataclass(frozen=True)
class OfficeFile:
    """A readable office document: its path and kind ("docx" or "odt")."""

    path: Path
    kind: str


def identify(path: Path) -> OfficeFile:
    """Open just enough of path to say what it is; raise OfficeFileError naming the cause when it is no DOCX/ODT."""
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(4096)
    except FileNotFoundError as exc:
        raise OfficeFileError(f"no existe el archivo {path}", "revise la ruta del documento que quiere importar") from exc
    except OSError as exc:
        raise OfficeFileError(f"no se puede leer {path}: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise OfficeFileError(f"{path.name} ocupa {size // (1024 * 1024)} MB; el máximo es "
                              f"{MAX_FILE_BYTES // (1024 * 1024)} MB", "compruebe que es el documento correcto")
    if head.startswith(OLE2):
        # An OLE2 container: Word 97-2003, or a DOCX/ODT encrypted with a password (stored as "EncryptedPackage").
        with path.open("rb") as handle:
            directory = handle.read(min(size, 8 * 1024 * 1024))
        if "EncryptedPackage".encode("utf-16-le") in directory:
            raise OfficeFileError(f"{path.name} está cifrado con contraseña y no se puede leer",
                                  "ábralo con su contraseña en Word o LibreOffice, quite el cifrado y guárdelo de nuevo")
        raise OfficeFileError(f"{path.name} es un documento de Word 97-2003 (.doc), un formato binario que no se importa",
                              "ábralo en Word o LibreOffice y guárdelo como .docx u .odt (o: soffice --headless "
                              "--convert-to docx DOCUMENTO.doc)")
    if head.startswith(b"{\\rtf"):
        raise OfficeFileError(f"{path.name} es un documento RTF, no DOCX ni ODT",
                              "ábralo en Word o LibreOffice y guárdelo como .docx u .odt")
    if not head.startswith(b"PK"):
        raise OfficeFileError(f"{path.name} no es un documento de Word ni de LibreOffice (DOCX u ODT)",
                              "importe el documento original, guardado como .docx u .odt")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "word/document.xml" in names:
                if STRICT_W in read_member(archive, "word/document.xml", limit=MAX_MEMBER_BYTES)[:4096]:
                    raise OfficeFileError(f"{path.name} está guardado como «Documento Open XML estricto», que no se importa",
                                          "guárdelo en Word como «Documento de Word (.docx)»")
                return OfficeFile(path, "docx")
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                raise OfficeFileError(f"{path.name} no es un DOCX completo: falta word/document.xml",
                                      "ábralo en Word o LibreOffice y guárdelo de nuevo como .docx")
            if "mimetype" in names:
                mimetype = read_member(archive, "mimetype", limit=256).strip()
                manifest = read_member(archive, "META-INF/manifest.xml", limit=4 * 1024 * 1024) \
                    if "META-INF/manifest.xml" in names else b""
                if b"encryption-data" in manifest:  # an ODF document saved with a password
                    raise OfficeFileError(f"{path.name} está cifrado con contraseña y no se puede leer",
                                          "ábralo con su contraseña en LibreOffice, guárdelo sin contraseña y vuelva "
                                          "a intentarlo")
                if mimetype == ODT_MIMETYPE:
                    return OfficeFile(path, "odt")
                raise OfficeFileError(f"{path.name} es un documento OpenDocument que no es de texto "
                                      f"({mimetype.decode('ascii', 'replace')})",
                                      "importe un documento de texto (.odt) o de Word (.docx)")
    except zipfile.BadZipFile as exc:
        raise OfficeFileError(f"{path.name} está dañado (su ZIP no se puede leer: {exc})",
                              "ábralo en Word o LibreOffice para repararlo y guárdelo de nuevo") from exc
    raise OfficeFileError(f"{path.name} es un ZIP, pero no un documento de Word ni de LibreOffice",
                          "importe el documento original, guardado como .docx u .odt")


def read_member(archive: zipfile.ZipFile, name: str, limit: int = MAX_MEMBER_BYTES, ratio: int | None = None) -> bytes:
    """A member's bytes, decompressed in pieces and stopped at limit (or, with ratio, at ratio times its compressed
    size): a header that lies about the size cannot make this read more (a ZIP bomb is refused, not inflated)."""
    out = bytearray()
    if ratio is not None:
        limit = min(limit, ratio * max(archive.getinfo(name).compress_size, 1024))
    try:
        with archive.open(name) as stream:
            while piece := stream.read(1024 * 1024):
                out += piece
                if len(out) > limit:
                    raise OfficeFileError(f"{name} se descomprime a más de {limit // (1024 * 1024)} MB: parece una "
                                          "bomba ZIP y no se abre", "importe el documento original")
    except zipfile.BadZipFile as exc:
        raise OfficeFileError(f"{name} está dañado dentro del ZIP: {exc}",
                              "ábralo en Word o LibreOffice para repararlo y guárdelo de nuevo") from exc
    return bytes(out)
