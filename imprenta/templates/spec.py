"""The state's style file (plantillas/estilos-docx.toml), read once: page, fonts, colours, sizes, emblem.

Every output takes its page and identity from here: the PDF (its @page rule), the DOCX and ODT references,
and the image stage (no image is printed wider than the text).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

STYLE_FILE = "estilos-docx.toml"
HEADING_STYLES = ("Heading 1", "Heading 2", "Heading 3", "Heading 4", "Title", "Subtitle", "TOC Heading")
# Paragraph styles of the cover: pandoc applies them through `custom-style`, by name.
COVER_STYLES = ("Portada Emblema", "Portada Entidad", "Portada Título", "Portada Subtítulo", "Portada Datos")
# Styles of the boxes of documents written elsewhere (admonitions, tabs, abbreviations, placeholders of what a
# draft could not include), by the class the source's Div or Span carries (see source/dialect.py).
BOX_CLASSES = ("admonicion", "abreviaturas", "pestana")
BOX_STYLES = {"admonicion": "Recuadro", "abreviaturas": "Recuadro", "titulo-caja": "Recuadro Título",
              "falta": "Marcador ausente"}
PAGE_BREAK_STYLE = "Salto de página"  # ODT: an empty paragraph that starts a new page
MISSING_TEXT_STYLE = "Texto ausente"  # a character style: the placeholder of an image or a link inside a line
CONTENT_STYLES = ("Recuadro", "Recuadro Título", "Marcador ausente")


@dataclass
class StyleSpec:
    """The style file, read once: page, fonts, colours, sizes and the header's emblem."""

    page: dict[str, float]
    fonts: dict[str, str]
    colours: dict[str, str]
    sizes: dict[str, float]
    header: dict[str, Any]
    templates_dir: Path

    @property
    def emblem(self) -> Path:
        return self.templates_dir / str(self.header["emblema"])

    @property
    def text_width_cm(self) -> float:
        return float(self.page["ancho_cm"]) - 2 * float(self.page["margen_cm"])

    @property
    def box_fill(self) -> str:
        """The shade of boxes (admonitions); a style file written before boxes existed gets a light grey."""
        return str(self.colours.get("fondo_recuadro", "F2F2F2"))

    @property
    def missing_colour(self) -> str:
        """The colour of what a draft could not include (placeholders)."""
        return str(self.colours.get("ausente", "B3261E"))

    def page_css(self) -> str:
        """The PDF's page size and margins, from the same [pagina] as the editable editions."""
        page = self.page
        # A4 by its keyword: WeasyPrint lays out "210mm 297mm" a hair differently (a footnote can change page).
        width, height, margin = (float(page[k]) for k in ("ancho_cm", "alto_cm", "margen_cm"))
        size = "A4" if (width, height) == (21.0, 29.7) else f"{width:g}cm {height:g}cm"
        return f"@page {{ size: {size}; margin: {margin:g}cm {margin:g}cm {margin:g}cm {margin:g}cm; }}"


def load_spec(templates_dir: Path) -> StyleSpec:
    """Read plantillas/estilos-docx.toml; a missing file or key is a clear configuration error."""
    path = templates_dir / STYLE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no se encontró {path}", "cree el archivo de estilos o indique --plantillas") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML no válido: {exc}", "cada línea es clave = valor") from exc
    try:
        return StyleSpec(
            data["pagina"], data["fuentes"], data["colores"], data["tamanos_pt"], data["cabecera"], templates_dir
        )
    except KeyError as exc:
        raise ConfigError(f"{path}: falta la sección [{exc.args[0]}]", "compárelo con el de la plantilla original") from exc


# OpenDocument namespaces, shared by the ODT reference generator and the ODT format.
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "svg": "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0",
    "draw": "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0",
    "xlink": "http://www.w3.org/1999/xlink",
}


def style_name(display: str) -> str:
    """ODF's encoded style name: "Portada Entidad" -> "Portada_20_Entidad" (spaces are not allowed in names)."""
    return "".join(c if c.isalnum() or c in "-." else f"_{ord(c):x}_" for c in display)
