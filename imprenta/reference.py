"""Generate plantillas/referencia.docx from pandoc's default reference and plantillas/estilos-docx.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

from docx import Document as open_docx
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Cm, Pt, RGBColor

from .errors import ConfigError
from .tools import pandoc_path, run_tool

STYLE_FILE = "estilos-docx.toml"
HEADING_STYLES = ("Heading 1", "Heading 2", "Heading 3", "Heading 4", "Title", "Subtitle", "TOC Heading")


def generate_reference(templates_dir: Path) -> Path:
    """Write referencia.docx: A4, margins, fonts, sizes and colours from the readable style file."""
    style_path = templates_dir / STYLE_FILE
    try:
        spec = tomllib.loads(style_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no se encontró {style_path}", "cree el archivo de estilos o indique --plantillas") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{style_path}: TOML no válido: {exc}") from exc
    dest = templates_dir / "referencia.docx"
    tmp = dest.with_suffix(".docx.tmp")
    default = run_tool([pandoc_path(), "--print-default-data-file", "reference.docx"], what="pandoc (referencia)")
    tmp.write_bytes(default.stdout)
    doc = open_docx(str(tmp))
    page, fonts, colours, sizes = spec["pagina"], spec["fuentes"], spec["colores"], spec["tamanos_pt"]
    for section in doc.sections:
        section.page_width, section.page_height = Cm(page["ancho_cm"]), Cm(page["alto_cm"])
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(section, side, Cm(page["margen_cm"]))
    for style in doc.styles:
        if style.type not in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            continue
        is_heading = style.name in HEADING_STYLES or style.name.startswith("Heading")
        style.font.name = fonts["titulos"] if is_heading else fonts["texto"]
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}rFonts")
        if rfonts is not None:
            for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
                rfonts.attrib.pop(f"{{http://schemas.openxmlformats.org/wordprocessingml/2006/main}}{attr}", None)
        if is_heading:
            style.font.color.rgb = RGBColor.from_string(colours["titulos"])
        if style.name in sizes:
            style.font.size = Pt(sizes[style.name])
    for name in ("Normal", "Body Text", "First Paragraph", "Compact"):
        try:
            doc.styles[name].font.size = Pt(sizes["texto"])
            doc.styles[name].font.color.rgb = RGBColor.from_string(colours["texto"])
        except KeyError:
            continue
    doc.save(str(tmp))
    tmp.replace(dest)
    return dest
