"""What the editable outputs (DOCX, ODT) share: the cover, the contents marker, the metadata, fixed zip bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from pathlib import Path
from typing import Any

from ..config import Config
from ..document import Document, content_name
from ..identity import Identity
from ..pandocast import Element, meta_string, text_inlines
from ..reference import StyleSpec

# The paragraph that the finishing step replaces with the pre-filled table of contents.
CONTENTS_MARKER = "@@imprenta-indice@@"
CONTENTS_TITLE = "Contenido"
CONTENTS_LEVELS = 3


def _styled(style: str, inlines: list[Element]) -> Element:
    """A paragraph in a named style of the reference document (pandoc's `custom-style`)."""
    return {"t": "Div", "c": [["", [], [["custom-style", style]]], [{"t": "Para", "c": inlines}]]}


def cover_blocks(doc: Document, emblem: Path, spec: StyleSpec) -> list[Element]:
    """The cover as the PDF has it: emblem, entity, title, subtitle, version and date, status."""
    meta = doc.meta
    height = f"{spec.header['alto_emblema_portada_cm']}cm"
    image = {"t": "Image", "c": [["", [], [["height", height]]], text_inlines(f"Emblema de {meta.entidad}"), [content_name(emblem), ""]]}
    blocks = [_styled("Portada Emblema", [image])]
    if meta.entidad:
        blocks.append(_styled("Portada Entidad", text_inlines(meta.entidad.upper())))
    blocks.append(_styled("Portada Título", text_inlines(meta.titulo)))
    if meta.subtitulo:
        blocks.append(_styled("Portada Subtítulo", text_inlines(meta.subtitulo)))
    blocks.append(_styled("Portada Datos", text_inlines(f"Versión {meta.version} · {meta.fecha_texto}")))
    blocks.append(_styled("Portada Datos", text_inlines(f"Estado: {meta.estado}")))
    if meta.base_legal:
        blocks.append(_styled("Portada Datos", text_inlines(f"Base legal: {meta.base_legal}")))
    return blocks


def editable_ast(doc: Document, output: str, emblem: Path, spec: StyleSpec, raw_format: str, marker_xml: str) -> dict[str, Any]:
    """The document for pandoc: cover, contents marker, body; metadata kept to the language.

    Title, author and the rest are written by the finishing step into the document properties, so pandoc
    prints no title block of its own and invents no custom properties from Imprenta's template keys.
    """
    ast = doc.ast_for(output)
    ast["meta"] = {"lang": meta_string(doc.meta.idioma)}
    marker = {"t": "RawBlock", "c": [raw_format, marker_xml.replace("MARKER", CONTENTS_MARKER)]}
    ast["blocks"] = [*cover_blocks(doc, emblem, spec), marker, *ast["blocks"]]
    return ast


def link_images(doc: Document, output: str, folder: Path, extra: list[Path]) -> None:
    """Links named by content in folder, where pandoc finds the images (--resource-path): no paths leak in."""
    folder.mkdir(exist_ok=True)
    files = [i.variants[output].path for i in doc.images if output in i.variants] + extra
    for path in files:
        link = folder / content_name(path)
        if not link.exists():
            link.symlink_to(path.resolve())


def properties(doc: Document, identity: Identity) -> dict[str, str]:
    """The custom document properties, with Spanish names: what an entity needs to cite this copy."""
    meta = doc.meta
    values = {
        "version": meta.version,
        "estado": meta.estado,
        "fecha": meta.fecha.isoformat(),
        "entidad": meta.entidad,
        "base_legal": meta.base_legal,
        "revision_fuentes": identity.revision,
        "huella_fuentes": identity.digest,
    }
    return {k: v for k, v in values.items() if v}


def normalise_zip(data: bytes, stamp: dt.datetime, stored: tuple[str, ...] = ()) -> bytes:
    """The same archive with every entry dated stamp and fixed modes: same sources, same bytes."""
    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for entry in zin.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if entry.filename in stored else zipfile.ZIP_DEFLATED
            zout.writestr(info, zin.read(entry))
    return out.getvalue()


def emblem_for(config: Config, spec: StyleSpec, accepts: frozenset[str]) -> Path:
    """The emblem as this output can take it: the SVG itself, or a PNG drawn from it (cached by content)."""
    from ..cache import Cache
    from ..images import vector

    if "svg" in accepts:
        return spec.emblem
    png, _ = vector.convert(spec.emblem, Cache(config.cache_dir))
    return png
