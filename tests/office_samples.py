"""Small office documents made for the import tests: written as flat ODT (FODT) by hand and saved as DOCX and ODT
by the real LibreOffice, or built with python-docx, each holding the cases `importar` must keep."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

from conftest import CORPUS

NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    'xmlns:meta="urn:oasis:names:tc:opendocument:xmlns:meta:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)

EMF = CORPUS / "images/poi__wrench.emf"


def _image(name: str, path: Path, description: str) -> str:
    data = base64.b64encode(path.read_bytes()).decode()
    return (f'<draw:frame draw:name="{name}" text:anchor-type="as-char" svg:width="4cm" svg:height="3cm">'
            f'<draw:image><office:binary-data>{data}</office:binary-data></draw:image>'
            f'<svg:title>{description}</svg:title></draw:frame>')


def fodt(*, changes: bool = True, comments: bool = True, shape: bool = False) -> str:
    """The sample guide: two chapters (one a custom style with an outline level), a section, a footnote and an
    endnote, a table with merged cells, an EMF figure with its caption, a cross-reference and a page reference,
    a hyperlink, the document's own contents and page-number fields, and (optionally) tracked changes and comments."""
    tracked = ""
    inserted = deleted = ""
    if changes:
        tracked = (
            '<text:tracked-changes>'
            '<text:changed-region text:id="ins1"><text:insertion><office:change-info><dc:creator>Ana Pérez</dc:creator>'
            '<dc:date>2026-03-01T10:00:00</dc:date></office:change-info></text:insertion></text:changed-region>'
            '<text:changed-region text:id="del1"><text:deletion><office:change-info><dc:creator>Ana Pérez</dc:creator>'
            '<dc:date>2026-03-01T10:05:00</dc:date></office:change-info><text:p>treinta </text:p></text:deletion>'
            '</text:changed-region></text:tracked-changes>'
        )
        inserted = '<text:change-start text:change-id="ins1"/>nuevos <text:change-end text:change-id="ins1"/>'
        deleted = '<text:change text:change-id="del1"/>'
    comment = ""
    comment_end = ""
    if comments:
        comment = ('<office:annotation office:name="c1"><dc:creator>Revisor Legal</dc:creator>'
                   '<dc:date>2026-03-02T09:00:00</dc:date><text:p>Confirmar el plazo con la norma vigente.</text:p>'
                   '</office:annotation>')
        comment_end = '<office:annotation-end office:name="c1"/>'
    return f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document {NS} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:meta><dc:title>Guía de trámites en línea</dc:title><dc:subject>Trámites</dc:subject>
<meta:initial-creator>Unidad de Gobierno Electrónico</meta:initial-creator></office:meta>
<office:styles>
<style:style style:name="Standard" style:family="paragraph"/>
<style:style style:name="Heading" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="Heading_20_1" style:display-name="Heading 1" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="1"/>
<style:style style:name="Heading_20_2" style:display-name="Heading 2" style:family="paragraph" style:parent-style-name="Heading" style:default-outline-level="2"/>
<style:style style:name="Apartado" style:family="paragraph" style:parent-style-name="Standard" style:default-outline-level="1"><style:text-properties fo:font-weight="bold" fo:font-size="15pt"/></style:style>
<style:style style:name="Caption" style:family="paragraph" style:parent-style-name="Standard"/>
<style:style style:name="Figure" style:family="paragraph" style:parent-style-name="Caption"/>
<style:style style:name="Footer" style:family="paragraph" style:parent-style-name="Standard"/>
</office:styles>
<office:master-styles><style:master-page style:name="Standard"><style:footer><text:p text:style-name="Footer">Página <text:page-number text:select-page="current">1</text:page-number></text:p></style:footer></style:master-page></office:master-styles>
<office:body><office:text>
{tracked}
<text:table-of-content text:name="Índice"><text:table-of-content-source text:outline-level="3"><text:index-title-template>Índice</text:index-title-template></text:table-of-content-source>
<text:index-body><text:index-title text:name="Índice1"><text:p>Índice</text:p></text:index-title>
<text:p>Objeto<text:tab/>1</text:p><text:p>Plazos<text:tab/>1</text:p><text:p>Anexo de formularios<text:tab/>2</text:p></text:index-body></text:table-of-content>
<text:p text:style-name="Standard">Esta guía explica cómo se presentan los trámites en línea ante la entidad.</text:p>
<text:h text:style-name="Heading_20_1" text:outline-level="1">Objeto</text:h>
<text:p text:style-name="Standard">La guía se aplica a todos los trámites del portal<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1</text:note-citation><text:note-body><text:p>Según el Decreto Supremo 3251.</text:p></text:note-body></text:note>, incluido el <text:a xlink:type="simple" xlink:href="https://www.gob.bo/">portal del Estado</text:a>.</text:p>
<text:h text:style-name="Heading_20_2" text:outline-level="2"><text:bookmark-start text:name="ref_plazos"/>Plazos de respuesta<text:bookmark-end text:name="ref_plazos"/></text:h>
<text:p text:style-name="Standard">Las solicitudes se responden en {deleted}{inserted}quince días hábiles{comment}, salvo excepción{comment_end}.<text:note text:id="edn1" text:note-class="endnote"><text:note-citation>i</text:note-citation><text:note-body><text:p>Nota final sobre los días inhábiles.</text:p></text:note-body></text:note></text:p>
<table:table table:name="Tabla1"><table:table-column table:number-columns-repeated="3"/>
<table:table-header-rows><table:table-row><table:table-cell office:value-type="string"><text:p>Trámite</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Plazo</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Canal</text:p></table:table-cell></table:table-row></table:table-header-rows>
<table:table-row><table:table-cell office:value-type="string"><text:p>Certificado</text:p></table:table-cell><table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Inmediato, en línea</text:p></table:table-cell><table:covered-table-cell/></table:table-row>
<table:table-row><table:table-cell office:value-type="string"><text:p>Licencia</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>10 días</text:p></table:table-cell><table:table-cell office:value-type="string"><text:p>Ventanilla</text:p></table:table-cell></table:table-row>
</table:table>
<text:p text:style-name="Standard">{_image("Figura1", EMF, "Llave de herramientas")}</text:p>
<text:p text:style-name="Figure">Figura <text:sequence text:ref-name="refFigure0" text:name="Figure" text:formula="ooow:Figure+1" style:num-format="1">1</text:sequence>: Esquema del trámite</text:p>
<text:h text:style-name="Apartado" text:outline-level="1">Anexo de formularios</text:h>
<text:p text:style-name="Standard">Véase <text:bookmark-ref text:reference-format="text" text:ref-name="ref_plazos">Plazos de respuesta</text:bookmark-ref>, en la página <text:bookmark-ref text:reference-format="page" text:ref-name="ref_plazos">1</text:bookmark-ref>.</text:p>
<text:p text:style-name="Standard">Los formularios se descargan del portal.</text:p>
{'<text:p text:style-name="Standard">Flujo: <draw:rect draw:name="Flecha" text:anchor-type="as-char" svg:width="3cm" svg:height="1cm"/></text:p>' if shape else ""}
</office:text></office:body></office:document>
'''


def libreoffice_sample(folder: Path, name: str = "guia", **options: bool) -> dict[str, Path]:
    """The sample written by LibreOffice itself, as DOCX and as ODT (its own filters, a private profile)."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"{name}.fodt"
    source.write_text(fodt(**options), encoding="utf-8")
    out: dict[str, Path] = {}
    for kind in ("docx", "odt"):
        subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(folder / 'perfil').as_uri()}",
                        "--convert-to", kind, "--outdir", str(folder), str(source)],
                       check=True, capture_output=True, timeout=300)
        out[kind] = folder / f"{name}.{kind}"
        assert out[kind].is_file()
    return out
