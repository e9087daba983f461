"""What the editable outputs (DOCX, ODT) share: the cover, the contents marker, the metadata, fixed zip bytes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..config import Config
from ..document import Document, content_name
from ..identity import Identity, zip_date_time
from ..pandocast import Element, dumps, meta_string, parse_markdown, text_inlines, walk
from ..source.assemble import PAGE_BREAK_CLASS
from ..source.metadata import Metadata, fecha_texto
from ..templates.spec import (
    BOX_CLASSES,
    BOX_STYLES,
    MISSING_TEXT_STYLE,
    PAGE_BREAK_STYLE,
    StyleSpec,
    load_spec,
    style_name,
)
from ..tools import PANDOC_TURNS, run_pandoc

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
    if meta.historial:
        blocks.append(_styled("Portada Datos", [{"t": "Strong", "c": text_inlines("Historial de versiones")}]))
        blocks.extend(history_table(meta))
    return blocks


def history_table(meta: Metadata) -> list[Element]:
    """The version history as a table (version, date, summary), parsed by pandoc from a pipe table."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    rows = "\n".join(f"| {cell(h['version'])} | {fecha_texto(h['fecha'])} | {cell(h['resumen'])} |" for h in meta.historial)
    return parse_markdown(f"| Versión | Fecha | Resumen |\n|---|---|------|\n{rows}\n", "el historial de versiones")["blocks"]


# A page break in each editable format's own XML.
PAGE_BREAK = {"openxml": '<w:p><w:r><w:br w:type="page"/></w:r></w:p>',
              "opendocument": f'<text:p text:style-name="{style_name(PAGE_BREAK_STYLE)}"/>'}


def _flatten_boxes(blocks: list[Element]) -> None:
    """A box's title and body as two sibling Divs: pandoc's ODT writer ignores a custom-style nested in another."""
    for block in blocks:
        if block.get("t") == "Div":
            _flatten_boxes(block["c"][1])
    out: list[Element] = []
    for block in blocks:
        if block.get("t") == "Div" and any(c in BOX_CLASSES for c in block["c"][0][1]):
            inner = block["c"][1]
            titles = [b for b in inner if b["t"] == "Div" and "titulo-caja" in b["c"][0][1]]
            body = [b for b in inner if b not in titles]
            for title in titles:  # a paragraph: the ODT writer gives a custom style to Para, not to Plain
                title["c"][1] = [{"t": "Para", "c": b["c"]} if b["t"] == "Plain" else b for b in title["c"][1]]
            out += titles
            if body:
                out.append({"t": "Div", "c": [block["c"][0], body]})
            continue
        out.append(block)
    blocks[:] = out


def _box_style(el: Element) -> None:
    """Boxes and placeholders (by their classes) in the reference document's styles, through `custom-style`."""
    if el["t"] not in ("Div", "Span"):
        return
    attr = el["c"][0]
    if any(k == "custom-style" for k, _ in attr[2]):
        return
    if el["t"] == "Div":
        style = next((BOX_STYLES[c] for c in attr[1] if c in BOX_STYLES), None)
    else:
        style = MISSING_TEXT_STYLE if "falta" in attr[1] or "enlace-roto" in attr[1] else None
    if style:
        attr[2].append(["custom-style", style])


def editable_ast(doc: Document, output: str, emblem: Path, spec: StyleSpec, raw_format: str, marker_xml: str) -> dict[str, Any]:
    """The document for pandoc: cover, contents marker, body; metadata kept to the language.

    Title, author and the rest are written by the finishing step into the document properties, so pandoc
    prints no title block of its own and invents no custom properties from Imprenta's template keys.
    """
    ast = doc.ast_for(output)
    walk(ast, lambda el: _flatten_boxes(el["c"][1]) if el["t"] == "Div" else None)
    _flatten_boxes(ast["blocks"])
    walk(ast["blocks"], _box_style)

    def page_break(el: Element) -> None:
        if el["t"] == "Div" and PAGE_BREAK_CLASS in el["c"][0][1]:
            el["c"][1] = [{"t": "RawBlock", "c": [raw_format, PAGE_BREAK[raw_format]]}]

    walk(ast["blocks"], page_break)
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


def normalise_zip(
    data: bytes, stamp: dt.datetime, stored: tuple[str, ...] = (),
    rewrite: Mapping[str, Callable[[bytes], bytes]] | None = None,
) -> bytes:
    """The same archive with every entry dated stamp and fixed modes (same sources, same bytes); the entries
    named in rewrite are replaced by what their function makes of them, in the same pass."""
    date_time = zip_date_time(stamp)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, zipfile.ZipFile(out, "w") as zout:
        for entry in zin.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=date_time)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_STORED if entry.filename in stored else zipfile.ZIP_DEFLATED
            content = zin.read(entry)
            if rewrite and entry.filename in rewrite:
                content = rewrite[entry.filename](content)
            zout.writestr(info, content)
    return out.getvalue()


def render_with_pandoc(
    doc: Document, config: Config, dest: Path, output: str, accepts: frozenset[str],
    raw: tuple[str, str], adjust: Callable[[list[Element]], None] | None = None,
) -> tuple[bytes, StyleSpec]:
    """Run pandoc on the document with its cover and contents marker, through plantillas/referencia.<output>.

    raw is the output's raw format and its paragraph holding MARKER; adjust may change the blocks first.
    Returns the file pandoc wrote (for the finishing step) and the style file it was made with.
    """
    PANDOC_TURNS.calm()  # the PDF's HTML first: the layout waits for it, and this is Python work in the same process
    spec = load_spec(config.templates_dir)
    emblem = emblem_for(config, spec, accepts)
    # pandoc finds images by their content names in a folder of links beside the staged output.
    images = dest.parent / f".imagenes-{output}"
    link_images(doc, output, images, [emblem])
    ast = editable_ast(doc, output, emblem, spec, *raw)
    if adjust:
        adjust(ast["blocks"])
    payload = dumps(ast)
    del ast  # not kept while pandoc runs: the build's peak of memory
    result = run_pandoc(
        [
            "--from", "json",
            "--to", output,
            f"--reference-doc={config.templates_dir / f'referencia.{output}'}",
            f"--resource-path={images}",
            "--output", "-",
        ],
        input_bytes=payload,
        what=f"pandoc ({output.upper()})",
        # pandoc stamps the file with this date instead of the clock: same sources, same bytes.
        env={"SOURCE_DATE_EPOCH": str(doc.meta.epoch)},
    )
    return result.stdout, spec


def emblem_for(config: Config, spec: StyleSpec, accepts: frozenset[str]) -> Path:
    """The emblem as this output can take it: the SVG itself, or a PNG drawn from it (cached by content)."""
    from ..cache import Cache
    from ..images import vector

    if "svg" in accepts:
        return spec.emblem
    png, _ = vector.convert(spec.emblem, Cache(config.cache_dir))
    return png
