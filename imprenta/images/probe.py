"""Identify an image by its bytes (never by its extension) and read a metafile's physical size."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImageError

# A drawing wider or taller than this is refused: no page holds it and it is a sign of a hostile header.
MAX_PHYSICAL_CM = 500.0


@dataclass(frozen=True)
class ImageInfo:
    """What an image is, and its physical size when the file states one (metafiles)."""

    kind: str
    width_cm: float | None = None
    height_cm: float | None = None


def _kind_from_magic(head: bytes) -> str | None:
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head.startswith(b"BM"):
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd7\xcd\xc6\x9a"):
        return "wmf"
    if len(head) >= 18 and head[:2] in (b"\x01\x00", b"\x02\x00") and head[2:4] == b"\x09\x00" and head[4:6] in (b"\x00\x01", b"\x00\x03"):
        return "wmf"
    if len(head) >= 44 and head[:4] == b"\x01\x00\x00\x00" and head[40:44] == b" EMF":
        return "emf"
    text = head[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<?xml", b"<svg", b"<!--", b"<!doctype svg")) and b"<svg" in head.lower():
        return "svg"
    return None


def check_size(width_cm: float, height_cm: float, what: str) -> tuple[float, float]:
    if not (0 < width_cm <= MAX_PHYSICAL_CM and 0 < height_cm <= MAX_PHYSICAL_CM):
        raise ImageError(
            f"el encabezado del {what} declara un tamaño imposible ({width_cm:.1f} × {height_cm:.1f} cm)",
            "el archivo está dañado o fue manipulado; expórtelo de nuevo desde el programa de dibujo",
        )
    return width_cm, height_cm


def _wmf_info(data: bytes) -> ImageInfo:
    placeable = data.startswith(b"\xd7\xcd\xc6\x9a")
    offset = 22 if placeable else 0
    if len(data) < offset + 18:
        raise ImageError("el archivo WMF está truncado: le falta el encabezado", "expórtelo de nuevo desde el programa de dibujo")
    mtype, header_words, version, size_words = struct.unpack_from("<HHHI", data, offset)
    if mtype not in (1, 2) or header_words != 9 or version not in (0x100, 0x300):
        raise ImageError("el encabezado del archivo WMF no es válido", "el archivo está dañado; expórtelo de nuevo")
    if size_words * 2 > len(data) - offset:
        raise ImageError(
            f"el archivo WMF está truncado: declara {size_words * 2 + offset} bytes y tiene {len(data)}",
            "el archivo se copió a medias o está dañado; vuelva a copiarlo o exportarlo",
        )
    if not placeable:
        return ImageInfo("wmf")
    _, _, left, top, right, bottom, inch = struct.unpack_from("<IHhhhhH", data, 0)
    if inch == 0:
        raise ImageError("el encabezado del archivo WMF declara 0 unidades por pulgada", "el archivo está dañado; expórtelo de nuevo")
    width, height = check_size(abs(right - left) / inch * 2.54, abs(bottom - top) / inch * 2.54, "WMF")
    return ImageInfo("wmf", width, height)


def _emf_info(data: bytes) -> ImageInfo:
    if len(data) < 88:
        raise ImageError("el archivo EMF está truncado: le falta el encabezado", "expórtelo de nuevo desde el programa de dibujo")
    header_size, = struct.unpack_from("<I", data, 4)
    frame = struct.unpack_from("<iiii", data, 24)
    total_bytes, = struct.unpack_from("<I", data, 48)
    if header_size < 88 or total_bytes > len(data):
        raise ImageError(
            f"el archivo EMF está truncado: declara {total_bytes} bytes y tiene {len(data)}",
            "el archivo se copió a medias o está dañado; vuelva a copiarlo o exportarlo",
        )
    # The frame is in hundredths of a millimetre.
    width, height = check_size((frame[2] - frame[0]) / 1000, (frame[3] - frame[1]) / 1000, "EMF")
    return ImageInfo("emf", width, height)


def probe(path: Path) -> ImageInfo:
    """Identify an image; raise ImageError with a plain message when it is not a usable image."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(f"no se pudo leer la imagen: {exc.strerror}") from exc
    if not data:
        raise ImageError("el archivo de imagen está vacío (0 bytes)", "vuelva a copiar o exportar la imagen")
    kind = _kind_from_magic(data[:4096])
    if kind is None:
        raise ImageError(
            "el archivo no es una imagen reconocible (PNG, JPEG, GIF, TIFF, BMP, WebP, SVG, WMF o EMF)",
            "compruebe que el archivo no esté dañado y que su contenido corresponda a una imagen",
        )
    if kind == "wmf":
        return _wmf_info(data)
    if kind == "emf":
        return _emf_info(data)
    return ImageInfo(kind)
