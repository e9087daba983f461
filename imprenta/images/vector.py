"""SVG -> PNG with rsvg-convert, for outputs whose readers do not all draw SVG (LibreOffice misses it in DOCX)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from lxml import etree

from .. import safexml
from ..cache import Cache, file_digest
from ..errors import ImageError, ToolError
from ..tools import find_program, install_hint, run_tool, tool_version
from .probe import ImageInfo, check_size

log = logging.getLogger(__name__)

NAME = "svg-png"
VERSION = "1"
DPI = 300
_UNITS_CM = {"mm": 0.1, "cm": 1.0, "in": 2.54, "pt": 2.54 / 72, "pc": 2.54 / 6, "px": 2.54 / 96, "": 2.54 / 96}
_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(mm|cm|in|pt|pc|px|)\s*$")


def svg_info(path: Path) -> ImageInfo:
    """An SVG's physical size from its width/height (or viewBox at 96 px per inch)."""
    try:
        root = safexml.parse(path).getroot()
    except etree.XMLSyntaxError as exc:
        raise ImageError(f"el SVG no es XML válido: {exc}", "ábralo en Inkscape y guárdelo de nuevo") from exc
    sizes: list[float | None] = []
    for key, index in (("width", 2), ("height", 3)):
        match = _LENGTH.match(root.get(key, ""))
        if match:
            sizes.append(float(match.group(1)) * _UNITS_CM[match.group(2)])
        else:
            box = (root.get("viewBox") or "").replace(",", " ").split()
            sizes.append(float(box[index]) * _UNITS_CM["px"] if len(box) == 4 else None)
    if sizes[0] is not None and sizes[1] is not None:
        check_size(sizes[0], sizes[1], "SVG")  # a drawing kilometres wide would be rasterised to gigabytes
    return ImageInfo("svg", sizes[0], sizes[1])


def rasterise(source: Path, dest: Path, dpi: int = DPI) -> None:
    """Draw an SVG as a PNG with rsvg-convert, under a memory cap (the one place an SVG is rasterised)."""
    program = find_program("rsvg-convert")
    if program is None:
        raise ImageError(f"no se puede dibujar {source.name} como PNG: falta rsvg-convert", install_hint("rsvg-convert"))
    try:
        run_tool([program, "--dpi-x", str(dpi), "--dpi-y", str(dpi), "--format", "png",
                  "--output", str(dest), str(source)], timeout=120, what="rsvg-convert", memory_mb=2048)
    except ToolError as exc:
        raise ImageError(f"no se pudo dibujar el SVG: {exc.message}", "ábralo en Inkscape para comprobarlo") from exc


def convert(source: Path, cache: Cache) -> tuple[Path, bool]:
    """The PNG for an SVG (cached by content); also whether it came from the cache."""
    key = Cache.key(NAME, VERSION, file_digest(source), str(DPI), tool_version("rsvg-convert"))
    cached = cache.lookup(NAME, key, ".png")
    if cached:
        return cached, True
    with cache.workdir() as work:
        produced = work / "imagen.png"
        rasterise(source, produced)
        stored = cache.store(NAME, key, ".png", produced)
    log.info("  convertida %s → PNG (rsvg-convert)", source.name)
    return stored, False
