"""ODT output: pandoc with plantillas/referencia.odt, finished with lxml (contents, cover styles, table borders, meta)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree

from .. import safexml
from ..config import Config
from ..document import Document, Heading
from ..errors import Problems
from ..identity import Identity
from ..source.metadata import Metadata
from ..templates.spec import CONTENT_STYLES, COVER_STYLES, MISSING_TEXT_STYLE, NS, style_name
from .editable import CONTENTS_LEVELS, CONTENTS_MARKER, CONTENTS_TITLE, normalise_zip, properties, render_with_pandoc

_DECLS = " ".join(f'xmlns:{k}="{v}"' for k, v in NS.items())


def contents_xml(headings: list[Heading]) -> str:
    """LibreOffice's own table of contents, with its body already filled: entries link to the headings' bookmarks,
    and each page number is a live reference to the heading, which LibreOffice computes as it lays out."""
    templates = "".join(
        f'<text:table-of-content-entry-template text:outline-level="{level}" text:style-name="Contents_20_{level}">'
        '<text:index-entry-link-start text:style-name="Internet_20_link"/><text:index-entry-text/>'
        '<text:index-entry-tab-stop style:type="right" style:leader-char="."/><text:index-entry-page-number/>'
        '<text:index-entry-link-end/></text:table-of-content-entry-template>'
        for level in range(1, CONTENTS_LEVELS + 1)
    )
    entries = "".join(
        f'<text:p text:style-name="Contents_20_{h.level}"><text:a xlink:type="simple" xlink:href="#{escape(h.anchor)}">'
        f'{escape(h.text)}<text:tab/><text:bookmark-ref text:reference-format="page" text:ref-name="{escape(h.anchor)}">'
        '</text:bookmark-ref></text:a></text:p>'
        for h in headings
        if h.level <= CONTENTS_LEVELS
    )
    return (
        f'<text:table-of-content {_DECLS} text:protected="true" text:name="{CONTENTS_TITLE}">'
        f'<text:table-of-content-source text:outline-level="{CONTENTS_LEVELS}">'
        f'<text:index-title-template text:style-name="Contents_20_Heading">{CONTENTS_TITLE}</text:index-title-template>'
        f"{templates}</text:table-of-content-source><text:index-body>"
        f'<text:index-title text:name="{CONTENTS_TITLE}_titulo"><text:p text:style-name="Contents_20_Heading">'
        f"{CONTENTS_TITLE}</text:p></text:index-title>{entries}</text:index-body></text:table-of-content>"
    )


def _finish_content(data: bytes, headings: list[Heading], colours: Mapping[str, str]) -> bytes:
    root = safexml.fromstring(data)
    for paragraph in root.iter(f"{{{NS['text']}}}p"):
        if "".join(paragraph.itertext()).strip() == CONTENTS_MARKER:
            paragraph.addprevious(safexml.fromstring(contents_xml(headings).encode("utf-8")))
            paragraph.getparent().remove(paragraph)
            break
    else:
        raise RuntimeError("falta la marca del índice en el ODT de pandoc")
    # pandoc writes custom-style names as given; ODF style names cannot hold spaces.
    renamed = {name: style_name(name) for name in (*COVER_STYLES, *CONTENT_STYLES, MISSING_TEXT_STYLE)}
    attr = f"{{{NS['text']}}}style-name"
    for element in root.iter():
        if element.get(attr) in renamed:
            element.set(attr, renamed[element.get(attr)])
    # Table cells: the PDF's borders and the shaded header row.
    border = f"0.5pt solid #{colours['bordes_tabla']}"
    for cell_style in root.iterfind(".//style:style[@style:family='table-cell']", NS):
        props = cell_style.find("style:table-cell-properties", NS)
        if props is None:
            continue
        props.set(f"{{{NS['fo']}}}border", border)
        props.set(f"{{{NS['fo']}}}padding", "0.06cm")
        if cell_style.get(f"{{{NS['style']}}}name") == "TableHeaderRowCell":
            props.set(f"{{{NS['fo']}}}background-color", f"#{colours['fondo_cabecera_tabla']}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def meta_xml(meta: Metadata, custom: Mapping[str, str]) -> bytes:
    """meta.xml with the document's title, subject, keywords, author, language and dates from the metadata."""
    date = meta.stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    fields = [
        "<meta:generator>Imprenta</meta:generator>",
        f"<dc:title>{escape(meta.titulo)}</dc:title>",
        f"<dc:subject>{escape(meta.asunto)}</dc:subject>",
        f"<dc:description>{escape(meta.subtitulo)}</dc:description>",
        *(f"<meta:keyword>{escape(k)}</meta:keyword>" for k in meta.palabras_clave),
        f"<meta:initial-creator>{escape(meta.entidad)}</meta:initial-creator>",
        f"<dc:creator>{escape(meta.entidad)}</dc:creator>",
        f"<meta:creation-date>{date}</meta:creation-date>",
        f"<dc:date>{date}</dc:date>",
        f"<dc:language>{escape(meta.idioma)}</dc:language>",
        *(f'<meta:user-defined meta:name="{escape(k)}">{escape(v)}</meta:user-defined>' for k, v in custom.items()),
    ]
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<office:document-meta xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'office:version="1.3"><office:meta>{"".join(fields)}</office:meta></office:document-meta>'
    ).encode()


class OdtFormat:
    """The OpenDocument copy: the open standard the state's free-software policy favours."""

    name = "odt"
    suffix = ".odt"
    accepts = frozenset({"png", "jpeg", "gif", "svg"})  # SVG is native in ODF; metafiles arrive as cropped SVG
    needs: tuple[str, ...] = ()
    templates = ("estilos-docx.toml", "referencia.odt")

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        data, spec = render_with_pandoc(doc, config, dest, self.name, self.accepts,
                                        ("opendocument", "<text:p>MARKER</text:p>"))
        custom = properties(doc, identity)
        finishing = {
            "content.xml": lambda content: _finish_content(content, doc.headings, spec.colours),
            "meta.xml": lambda _: meta_xml(doc.meta, custom),
        }
        dest.write_bytes(normalise_zip(data, doc.meta.stamp, stored=("mimetype",), rewrite=finishing))
        return {}
