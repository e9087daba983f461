"""WMF/EMF -> SVG with LibreOffice headless, cropped to the drawing and sized from the metafile header."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from lxml import etree

from .. import safexml
from ..cache import Cache, file_digest
from ..errors import ImageError, ToolError
from ..progress import ticking
from ..tools import find_program, install_hint, run_tool, tool_version
from .probe import ImageInfo

log = logging.getLogger(__name__)

NAME = "metafile-svg"
# Bump when the conversion itself changes, so cached results are redone.
VERSION = "1"
SVG_NS = "http://www.w3.org/2000/svg"


# Address-space cap for LibreOffice converting untrusted metafiles (it needs about 1.5 GB of it).
CONVERTER_MEMORY_MB = 4096


def soffice() -> str | None:
    """LibreOffice's command, under either of its usual names."""
    return find_program("soffice") or find_program("libreoffice")


def cache_key(source: Path) -> str:
    return Cache.key(NAME, VERSION, file_digest(source), tool_version(soffice() or "soffice"))


def crop_svg(svg: Path, info: ImageInfo) -> None:
    """Replace LibreOffice's A4 page with the drawing's bounding box, at the metafile's physical size."""
    tree = safexml.parse(svg)
    root = tree.getroot()
    box = root.find(f".//{{{SVG_NS}}}rect[@class='BoundingBox']")
    if box is None:
        raise ImageError(
            "LibreOffice no encontró ningún dibujo en el archivo (¿está vacío o dañado?)",
            "ábralo en LibreOffice Draw para comprobarlo y expórtelo de nuevo",
        )
    x, y, w, h = (float(box.get(k, "0")) for k in ("x", "y", "width", "height"))
    if w <= 0 or h <= 0:
        raise ImageError("el dibujo del archivo no tiene superficie (ancho o alto cero)", "expórtelo de nuevo")
    # LibreOffice's SVG units are hundredths of a millimetre.
    width_mm = info.width_cm * 10 if info.width_cm else w / 100
    height_mm = info.height_cm * 10 if info.height_cm else h / 100
    root.set("viewBox", f"{x:g} {y:g} {w:g} {h:g}")
    root.set("width", f"{width_mm:.2f}mm")
    root.set("height", f"{height_mm:.2f}mm")
    root.set("preserveAspectRatio", "xMidYMid meet")
    tree.write(str(svg), xml_declaration=True, encoding="UTF-8")


def convert_all(sources: list[tuple[Path, ImageInfo]], cache: Cache) -> dict[Path, Path | ImageError]:
    """Convert every metafile not yet cached in one LibreOffice run; return source -> SVG or the error."""
    results: dict[Path, Path | ImageError] = {}
    pending: dict[str, tuple[Path, ImageInfo]] = {}
    for source, info in sources:
        key = cache_key(source)
        cached = cache.lookup(NAME, key, ".svg")
        if cached:
            results[source] = cached
        else:
            pending[key] = (source, info)
    if not pending:
        return results
    program = soffice()
    if program is None:
        for source, _ in pending.values():
            results[source] = ImageError("no se puede convertir WMF/EMF: falta LibreOffice", install_hint("soffice"))
        return results
    with cache.workdir() as work:
        inputs = []
        for key, (source, info) in pending.items():
            copy = work / f"{key}.{info.kind}"
            shutil.copyfile(source, copy)
            inputs.append(str(copy))
        out = work / "svg"
        cmd = [
            program,
            "--headless",
            "--norestore",
            f"-env:UserInstallation={(work / 'perfil').as_uri()}",
            "--convert-to",
            "svg:draw_svg_Export",
            "--outdir",
            str(out),
            *inputs,
        ]
        try:
            with ticking(f"convirtiendo {len(inputs)} {'imagen' if len(inputs) == 1 else 'imágenes'} con LibreOffice"):
                run_tool(cmd, timeout=120 + 15 * len(inputs), what="LibreOffice (conversión de imágenes)",
                         memory_mb=CONVERTER_MEMORY_MB)
        except ToolError as exc:
            for source, _ in pending.values():
                results[source] = ImageError(f"LibreOffice no pudo convertir la imagen: {exc.message}")
            return results
        for key, (source, info) in pending.items():
            produced = out / f"{key}.svg"
            if not produced.is_file() or produced.stat().st_size == 0:
                results[source] = ImageError(
                    "LibreOffice no pudo convertir la imagen (archivo dañado o de un tipo no admitido)",
                    "ábrala en LibreOffice Draw para comprobarla y expórtela de nuevo",
                )
                continue
            try:
                crop_svg(produced, info)
            except ImageError as exc:
                results[source] = exc
                continue
            except etree.XMLSyntaxError as exc:
                results[source] = ImageError(f"LibreOffice produjo un SVG ilegible: {exc}")
                continue
            results[source] = cache.store(NAME, key, ".svg", produced)
            log.info("  convertida %s → SVG (LibreOffice)", source.name)
    return results
