"""Generate plantillas/referencia.docx from pandoc's default reference and the style file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document as open_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Pt, RGBColor
from docx.styles.style import BaseStyle

from ..images.vector import rasterise
from ..tools import run_pandoc
from .spec import HEADING_STYLES, MISSING_TEXT_STYLE, StyleSpec

# Word's built-in names ("toc 1", "header") with its ids: Word and LibreOffice both recognise them.
BUILTIN_STYLES = {"TOC1": "toc 1", "TOC2": "toc 2", "TOC3": "toc 3", "Header": "header", "Footer": "footer"}


def _simple_field(instruction: str, shown: str) -> Any:
    """A Word field (PAGE, NUMPAGES, TITLE) with the result shown until it is updated."""
    return parse_xml(
        f'<w:fldSimple {nsdecls("w")} w:instr=" {instruction} "><w:r><w:t xml:space="preserve">{shown}</w:t></w:r></w:fldSimple>'
    )


def _style(doc: Any, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH, base: str = "Normal") -> BaseStyle:
    """The style called name, created (based on base) when the reference lacks it."""
    for style in doc.styles:
        if style.name == name:
            return style
    style = doc.styles.add_style(name, kind)
    style.base_style = doc.styles[base]
    return style


def _builtin_styles(doc: Any) -> None:
    """toc 1-3, header and footer with Word's own ids, so that both Word and LibreOffice map them to theirs."""
    styles = doc.styles.element
    for style_id, name in BUILTIN_STYLES.items():
        if styles.find(f"{qn('w:style')}[@{qn('w:styleId')}='{style_id}']") is not None:
            continue
        styles.append(parse_xml(
            f'<w:style {nsdecls("w")} w:type="paragraph" w:styleId="{style_id}"><w:name w:val="{name}"/>'
            f'<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/></w:style>'
        ))


def _fonts_and_colours(doc: Any, spec: StyleSpec) -> None:
    for style in doc.styles:
        if style.type not in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            continue
        is_heading = style.name in HEADING_STYLES or style.name.startswith("Heading")
        style.font.name = spec.fonts["titulos"] if is_heading else spec.fonts["texto"]
        rfonts = style.element.get_or_add_rPr().find(qn("w:rFonts"))
        if rfonts is not None:  # theme fonts would win over the named font in Word
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                rfonts.attrib.pop(qn(attr), None)
        if is_heading:
            style.font.color.rgb = RGBColor.from_string(spec.colours["titulos"])
        if style.name in spec.sizes:
            style.font.size = Pt(spec.sizes[style.name])
    for name in ("Normal", "Body Text", "First Paragraph", "Compact"):
        doc.styles[name].font.size = Pt(spec.sizes["texto"])
        doc.styles[name].font.color.rgb = RGBColor.from_string(spec.colours["texto"])


def _layout_styles(doc: Any, spec: StyleSpec) -> None:
    """Headings, contents, captions, cover, header and footer: the PDF's look in Word's terms."""
    green = spec.colours["titulos"]
    h1 = _style(doc, "Heading 1")
    h1.paragraph_format.page_break_before = True  # as in the PDF, every part starts on a new page
    h1.element.get_or_add_pPr().append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="12" w:space="2" w:color="{green}"/></w:pBdr>'
    ))
    toc_heading = _style(doc, "TOC Heading")
    toc_heading.paragraph_format.page_break_before = True  # the contents start after the cover
    toc_heading.font.size = Pt(spec.sizes["Heading 1"])
    for level in (1, 2, 3):
        toc = _style(doc, f"toc {level}")
        toc.paragraph_format.left_indent = Cm(0.6 * (level - 1))
        toc.paragraph_format.space_after = Pt(3)
        toc.font.bold = level == 1
        toc.paragraph_format.tab_stops.add_tab_stop(Cm(spec.text_width_cm), WD_TAB_ALIGNMENT.RIGHT, WD_TAB_LEADER.DOTS)
    caption = _style(doc, "Caption")
    caption.font.size = Pt(spec.sizes["rotulos"])
    caption.font.italic = False
    caption.font.color.rgb = RGBColor.from_string(spec.colours["rotulos"])
    for name in ("Caption", "Image Caption", "Table Caption", "Captioned Figure", "Figure"):
        _style(doc, name).paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _style(doc, "Table Caption").paragraph_format.keep_with_next = True
    for name, size in (("Header", "cabecera"), ("Footer", "cabecera")):
        style = _style(doc, name)
        style.font.size = Pt(spec.sizes[size])
        style.font.color.rgb = RGBColor.from_string(spec.colours["gris"])
    _style(doc, "Footer").paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    cover = {
        "Portada Emblema": (None, "gris", False, Cm(1)),
        "Portada Entidad": ("entidad", "rotulos", True, Pt(6)),
        "Portada Título": ("Title", "titulos", True, Pt(6)),
        "Portada Subtítulo": ("Subtitle", "texto", False, Pt(18)),
        "Portada Datos": ("texto", "gris", False, Pt(2)),
    }
    for name, (size, colour, bold, after) in cover.items():
        style = _style(doc, name)
        style.font.name = spec.fonts["titulos"]
        if size:
            style.font.size = Pt(spec.sizes[size])
        style.font.bold = bold
        style.font.color.rgb = RGBColor.from_string(spec.colours[colour])
        style.paragraph_format.space_after = after
        style.paragraph_format.keep_with_next = True
    _style(doc, "Portada Emblema").paragraph_format.space_before = Cm(5)


def _box_styles(doc: Any, spec: StyleSpec) -> None:
    """Recuadro (admonitions, abbreviations): a shaded box with a coloured rule on the left; its title in bold;
    Marcador ausente: the framed note a draft prints where a part, image or diagram could not be included."""
    green, fill, missing = spec.colours["titulos"], spec.box_fill, spec.missing_colour
    box = _style(doc, "Recuadro")
    box.paragraph_format.left_indent = Cm(0.3)
    box.paragraph_format.right_indent = Cm(0.3)
    box.element.get_or_add_pPr().append(parse_xml(
        f'<w:pBdr {nsdecls("w")}><w:left w:val="single" w:sz="24" w:space="6" w:color="{green}"/>'
        f'<w:between w:val="nil"/></w:pBdr>'))
    box.element.get_or_add_pPr().append(parse_xml(f'<w:shd {nsdecls("w")} w:val="clear" w:color="auto" w:fill="{fill}"/>'))
    title = _style(doc, "Recuadro Título", base="Recuadro")
    title.font.bold = True
    title.font.color.rgb = RGBColor.from_string(green)
    title.paragraph_format.keep_with_next = True
    placeholder = _style(doc, "Marcador ausente")
    placeholder.font.italic = True
    placeholder.font.color.rgb = RGBColor.from_string(missing)
    placeholder.element.get_or_add_pPr().append(parse_xml(
        f'<w:pBdr {nsdecls("w")}>' + "".join(f'<w:{s} w:val="dashed" w:sz="6" w:space="4" w:color="{missing}"/>'
                                             for s in ("top", "left", "bottom", "right")) + "</w:pBdr>"))
    text = _style(doc, MISSING_TEXT_STYLE, WD_STYLE_TYPE.CHARACTER, base="Default Paragraph Font")
    text.font.italic = True
    text.font.color.rgb = RGBColor.from_string(missing)


def _table_style(doc: Any, spec: StyleSpec) -> None:
    """pandoc's "Table" style with the PDF's borders and a shaded, white-lettered header row."""
    border, fill, letters = spec.colours["bordes_tabla"], spec.colours["fondo_cabecera_tabla"], spec.colours["texto_cabecera_tabla"]
    table = _style(doc, "Table").element
    for old in table.findall(qn("w:tblPr")) + table.findall(qn("w:tblStylePr")):
        table.remove(old)
    sides = "".join(f'<w:{s} w:val="single" w:sz="4" w:space="0" w:color="{border}"/>'
                    for s in ("top", "left", "bottom", "right", "insideH", "insideV"))
    table.append(parse_xml(
        f'<w:tblPr {nsdecls("w")}><w:tblBorders>{sides}</w:tblBorders>'
        '<w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="80" w:type="dxa"/>'
        '<w:bottom w:w="40" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar></w:tblPr>'
    ))
    table.append(parse_xml(
        f'<w:tblStylePr {nsdecls("w")} w:type="firstRow"><w:rPr><w:b/><w:color w:val="{letters}"/></w:rPr>'
        f'<w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{fill}"/></w:tcPr></w:tblStylePr>'
    ))


def _page_header_footer(doc: Any, spec: StyleSpec, emblem: Path) -> None:
    """A4 and margins as in the PDF; header (emblem and title) and footer (Página X de Y) except on the cover."""
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(spec.page["ancho_cm"]), Cm(spec.page["alto_cm"])
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Cm(spec.page["margen_cm"]))
    section.header_distance = section.footer_distance = Cm(spec.page["distancia_cabecera_cm"])
    section.different_first_page_header_footer = True  # the first page is the cover: nothing on it
    header = section.header.paragraphs[0]
    header.style = _style(doc, "Header")
    header.add_run().add_picture(str(emblem), height=Cm(spec.header["alto_emblema_cm"]))
    header.add_run("\u2003")
    # TITLE shows the document's title property: one reference serves every document.
    header._p.append(_simple_field("TITLE", "Título del documento"))
    footer = section.footer.paragraphs[0]
    footer.style = _style(doc, "Footer")
    footer.add_run("Página ")
    footer._p.append(_simple_field("PAGE", "1"))
    footer.add_run(" de ")
    footer._p.append(_simple_field("NUMPAGES", "1"))


def generate_docx_reference(spec: StyleSpec, dest: Path, work: Path) -> None:
    default = run_pandoc(["--print-default-data-file", "reference.docx"], input_bytes=b"", what="pandoc (referencia)")
    base = work / "pandoc.docx"
    base.write_bytes(default.stdout)
    doc = open_docx(str(base))
    _builtin_styles(doc)
    _fonts_and_colours(doc, spec)
    _layout_styles(doc, spec)
    _table_style(doc, spec)
    _box_styles(doc, spec)
    emblem = work / "emblema.png"
    rasterise(spec.emblem, emblem)
    _page_header_footer(doc, spec, emblem)
    doc.save(str(dest))
