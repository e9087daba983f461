"""Generate plantillas/referencia.odt: pandoc's default reference restyled from the same style file as the DOCX."""

from __future__ import annotations

import zipfile
from pathlib import Path

from lxml import etree

from .. import safexml
from ..tools import run_pandoc
from .spec import COVER_STYLES, MISSING_TEXT_STYLE, NS, PAGE_BREAK_STYLE, StyleSpec, style_name

EMBLEM_ENTRY = "Pictures/emblema.svg"
FONT = "Imprenta Sans"  # the font-face name the styles use; its family comes from the style file


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _style(styles: etree._Element, name: str, family: str = "paragraph", parent: str | None = "Standard",
           para: dict[str, str] | None = None, text: dict[str, str] | None = None, **attrs: str) -> etree._Element:
    """Find or create a common style and set its paragraph and text properties (values win over the defaults)."""
    found = styles.find(f"style:style[@style:name='{name}']", NS)
    if found is None:
        found = etree.SubElement(styles, _q("style:style"))
        found.set(_q("style:name"), name)
        found.set(_q("style:family"), family)
        if parent:
            found.set(_q("style:parent-style-name"), parent)
    for key, value in attrs.items():
        found.set(_q(f"style:{key.replace('_', '-')}"), value)
    for tag, values in (("style:paragraph-properties", para), ("style:text-properties", text)):
        if not values:
            continue
        props = found.find(tag, NS)
        if props is None:
            props = etree.SubElement(found, _q(tag))
        for key, value in values.items():
            props.set(_q(key), value)
    return found


def _font_text(spec: StyleSpec, size: float | None = None, colour: str | None = None, bold: bool | None = None) -> dict[str, str]:
    props = {"style:font-name": FONT, "style:font-name-complex": FONT}
    if size:
        props |= {"fo:font-size": f"{size}pt", "style:font-size-complex": f"{size}pt"}
    if colour:
        props["fo:color"] = f"#{colour}"
    if bold is not None:
        props |= {"fo:font-weight": "bold" if bold else "normal", "style:font-weight-complex": "bold" if bold else "normal"}
    return props


def _restyle(root: etree._Element, spec: StyleSpec) -> None:
    styles = root.find("office:styles", NS)
    fonts = root.find("office:font-face-decls", NS)
    face = etree.SubElement(fonts, _q("style:font-face"))
    face.set(_q("style:name"), FONT)
    face.set(_q("svg:font-family"), f"'{spec.fonts['texto']}'")
    face.set(_q("style:font-family-generic"), "swiss")
    default = styles.find("style:default-style[@style:family='paragraph']/style:text-properties", NS)
    for key, value in {**_font_text(spec, spec.sizes["texto"]), "fo:language": "es", "fo:country": "BO"}.items():
        default.set(_q(key), value)
    c = spec.colours
    _style(styles, "Standard", parent=None, text=_font_text(spec, spec.sizes["texto"], c["texto"]))
    _style(styles, "Text_20_body", para={"fo:text-align": "justify", "fo:margin-bottom": "0.2cm"})
    _style(styles, "Heading", text=_font_text(spec, colour=c["titulos"], bold=True))
    for level in (1, 2, 3):
        _style(styles, f"Heading_20_{level}", parent="Heading",
               text={**_font_text(spec, spec.sizes[f"Heading {level}"], c["titulos"], True), "fo:font-style": "normal"})
    _style(styles, "Heading_20_1", para={"fo:break-before": "page", "fo:border-bottom": f"1.5pt solid #{c['titulos']}",
                                         "fo:padding-bottom": "0.1cm"})
    _style(styles, "Caption", text={**_font_text(spec, spec.sizes["rotulos"], c["rotulos"]), "fo:font-style": "normal"},
           para={"fo:text-align": "center"})
    for name in ("TableCaption", "FigureCaption", "Figure", "FigureWithCaption"):
        _style(styles, name, para={"fo:text-align": "center"})
    _style(styles, "TableCaption", para={"fo:keep-with-next": "always"})
    # Boxes and placeholders, as in the DOCX (see docx._box_styles).
    box = {"fo:background-color": f"#{spec.box_fill}", "fo:border-left": f"3pt solid #{c['titulos']}",
           "fo:padding-left": "0.25cm", "fo:margin-left": "0.3cm", "fo:margin-right": "0.3cm",
           "style:join-border": "true"}
    _style(styles, style_name("Recuadro"), display_name="Recuadro", para=box)
    _style(styles, style_name("Recuadro Título"), display_name="Recuadro Título", parent=style_name("Recuadro"),
           para={"fo:keep-with-next": "always"}, text=_font_text(spec, colour=c["titulos"], bold=True))
    _style(styles, style_name(PAGE_BREAK_STYLE), display_name=PAGE_BREAK_STYLE, para={"fo:break-after": "page"})
    missing = spec.missing_colour
    _style(styles, style_name("Marcador ausente"), display_name="Marcador ausente",
           para={"fo:border": f"0.75pt dashed #{missing}", "fo:padding": "0.1cm"},
           text={"fo:color": f"#{missing}", "fo:font-style": "italic"})
    _style(styles, style_name(MISSING_TEXT_STYLE), family="text", parent=None, display_name=MISSING_TEXT_STYLE,
           text={"fo:color": f"#{missing}", "fo:font-style": "italic"})
    _style(styles, "Table_20_Contents", text=_font_text(spec, spec.sizes["tabla"]))
    _style(styles, "Table_20_Heading", text=_font_text(spec, spec.sizes["tabla"], c["texto_cabecera_tabla"], True))
    _style(styles, "Contents_20_Heading", parent="Heading", display_name="Contents Heading",
           para={"fo:break-before": "page"}, text=_font_text(spec, spec.sizes["Heading 1"], c["titulos"], True))
    for level in (1, 2, 3):
        indent = 0.6 * (level - 1)
        entry = _style(styles, f"Contents_20_{level}", parent="Standard", display_name=f"Contents {level}",
                       para={"fo:margin-left": f"{indent:.1f}cm", "fo:margin-bottom": "0.1cm"},
                       text=_font_text(spec, bold=level == 1))
        # Page numbers flush right with dot leaders (tab positions count from the paragraph's indent).
        stops = etree.SubElement(entry.find("style:paragraph-properties", NS), _q("style:tab-stops"))
        stop = etree.SubElement(stops, _q("style:tab-stop"))
        for key, value in (("position", f"{spec.text_width_cm - indent:.2f}cm"), ("type", "right"),
                           ("leader-style", "dotted"), ("leader-text", ".")):
            stop.set(_q(f"style:{key}"), value)
    _style(styles, "Header", parent="Standard", text=_font_text(spec, spec.sizes["cabecera"], c["gris"]))
    _style(styles, "Footer", para={"fo:text-align": "center"}, text=_font_text(spec, spec.sizes["cabecera"], c["gris"]))
    _style(styles, "Internet_20_link", family="text", parent=None, text={"fo:color": f"#{c['titulos']}"})
    cover = {
        "Portada Emblema": (None, c["gris"], False),
        "Portada Entidad": (spec.sizes["entidad"], c["rotulos"], True),
        "Portada Título": (spec.sizes["Title"], c["titulos"], True),
        "Portada Subtítulo": (spec.sizes["Subtitle"], c["texto"], False),
        "Portada Datos": (spec.sizes["texto"], c["gris"], False),
    }
    for display in COVER_STYLES:
        size, colour, bold = cover[display]
        _style(styles, style_name(display), display_name=display, para={"fo:margin-bottom": "0.3cm"},
               text=_font_text(spec, size, colour, bold))
    # The cover's first paragraph opens the "Portada" page: no header or footer there.
    _style(styles, style_name("Portada Emblema"), master_page_name="Portada", para={"fo:margin-top": "5cm"})


def _pages(root: etree._Element, spec: StyleSpec) -> None:
    """A4 with the PDF's margins; "Standard" pages carry the header and footer, the "Portada" page nothing."""
    automatic = root.find("office:automatic-styles", NS)
    layout = automatic.find("style:page-layout/style:page-layout-properties", NS)
    page = spec.page
    for key, value in (("fo:page-width", page["ancho_cm"]), ("fo:page-height", page["alto_cm"])):
        layout.set(_q(key), f"{value}cm")
    # ODF margins are measured to the header/footer, so the body keeps the PDF's 2.5 cm below them.
    edge = f"{page['distancia_cabecera_cm']}cm"
    for side in ("top", "bottom"):
        layout.set(_q(f"fo:margin-{side}"), edge)
    for side in ("left", "right"):
        layout.set(_q(f"fo:margin-{side}"), f"{page['margen_cm']}cm")
    gap = f"{page['margen_cm'] - page['distancia_cabecera_cm'] - 0.5:.2f}cm"
    page_layout = layout.getparent()
    for kind, margin in (("header", "fo:margin-bottom"), ("footer", "fo:margin-top")):
        holder = page_layout.find(f"style:{kind}-style", NS)
        if holder is None:
            holder = etree.SubElement(page_layout, _q(f"style:{kind}-style"))
        holder.clear()
        props = etree.SubElement(holder, _q("style:header-footer-properties"))
        props.set(_q("fo:min-height"), "0.5cm")
        props.set(_q(margin), gap)
        props.set(_q("style:dynamic-spacing"), "false")
    masters = root.find("office:master-styles", NS)
    standard = masters.find("style:master-page[@style:name='Standard']", NS)
    for child in list(standard):
        standard.remove(child)
    height = spec.header["alto_emblema_cm"]
    header = etree.fromstring(
        f'<style:header xmlns:style="{NS["style"]}" xmlns:text="{NS["text"]}" xmlns:draw="{NS["draw"]}" '
        f'xmlns:svg="{NS["svg"]}" xmlns:xlink="{NS["xlink"]}"><text:p text:style-name="Header">'
        f'<draw:frame draw:name="emblema" text:anchor-type="as-char" svg:width="{height}cm" svg:height="{height}cm">'
        f'<draw:image xlink:href="{EMBLEM_ENTRY}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/>'
        '</draw:frame><text:s/><text:s/><text:title>Título del documento</text:title></text:p></style:header>'
    )
    footer = etree.fromstring(
        f'<style:footer xmlns:style="{NS["style"]}" xmlns:text="{NS["text"]}"><text:p text:style-name="Footer">'
        'Página <text:page-number text:select-page="current">1</text:page-number> de '
        '<text:page-count>1</text:page-count></text:p></style:footer>'
    )
    standard.extend([header, footer])
    cover = etree.SubElement(masters, _q("style:master-page"))
    for key, value in (("name", "Portada"), ("page-layout-name", standard.get(_q("style:page-layout-name"))),
                       ("next-style-name", "Standard")):
        cover.set(_q(f"style:{key}"), value)


def generate_odt_reference(spec: StyleSpec, dest: Path, work: Path) -> None:
    default = run_pandoc(["--print-default-data-file", "reference.odt"], input_bytes=b"", what="pandoc (referencia ODT)")
    source = work / "pandoc.odt"
    source.write_bytes(default.stdout)
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "styles.xml":
                root = safexml.fromstring(data)
                _restyle(root, spec)
                _pages(root, spec)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
            elif info.filename == "META-INF/manifest.xml":
                entry = f' <manifest:file-entry manifest:full-path="{EMBLEM_ENTRY}" manifest:media-type="image/svg+xml"/>\n'
                data = data.replace(b"</manifest:manifest>", entry.encode() + b"</manifest:manifest>")
            # ODF wants "mimetype" first and uncompressed.
            zout.writestr(info, data, zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED)
        zout.write(spec.emblem, EMBLEM_ENTRY, zipfile.ZIP_DEFLATED)
