"""The spreadsheet where the team answers: observaciones/respuestas.xlsx (Excel) and .ods (LibreOffice Calc), one
row per observation, the status chosen from a validated list; read back and merged into the ledger next time."""

from __future__ import annotations

import io
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from ..errors import ConfigError
from ..publish import atomic_write
from .ledger import STATUSES, Row

COLUMNS = (
    ("id", "id", 18), ("version", "versión", 9), ("entidad", "entidad", 22), ("tipo", "tipo", 16),
    ("autor", "autor", 16), ("seccion", "sección", 30), ("fuente_actual", "fuente actual", 28),
    ("estado_del_pasaje", "el pasaje hoy", 16), ("texto", "observación", 50), ("antes", "texto anterior", 30),
    ("texto_anotado", "texto anotado", 40), ("estado", "estado", 18), ("respuesta", "respuesta del equipo", 60),
)
STATUS_COLUMN = [key for key, _, _ in COLUMNS].index("estado")
ANSWER_COLUMN = [key for key, _, _ in COLUMNS].index("respuesta")


def write_xlsx(rows: Sequence[Row], dest: Path) -> None:
    """The workbook, written whole beside dest and renamed over it."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = "observaciones"
    sheet.append([title for _, title, _ in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="007934")
    for row in rows:
        sheet.append([getattr(row, key) for key, _, _ in COLUMNS])
    for index, (_, _, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    status = get_column_letter(STATUS_COLUMN + 1)
    validation = DataValidation(type="list", formula1='"' + ",".join(STATUSES) + '"', allow_blank=False,
                                showErrorMessage=True, errorTitle="Estado no válido",
                                error="Elija un estado de la lista: " + ", ".join(STATUSES))
    validation.add(f"{status}2:{status}{max(len(rows) + 1, 2)}")
    sheet.add_data_validation(validation)
    sheet.freeze_panes = "B2"
    with tempfile.NamedTemporaryFile(suffix=".xlsx", dir=dest.parent, delete=False) as handle:
        scratch = Path(handle.name)
    try:
        book.save(scratch)
        atomic_write(dest, source=scratch)
    finally:
        scratch.unlink(missing_ok=True)


ODS_NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
    "fo": "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}


def write_ods(rows: Sequence[Row], dest: Path) -> None:
    """The same sheet as OpenDocument (LibreOffice Calc), written directly: the status column keeps its list of
    valid values (table:content-validation), the header its colour."""
    from xml.sax.saxutils import escape, quoteattr

    ns = " ".join(f'xmlns:{k}="{v}"' for k, v in ODS_NS.items())
    statuses = ";".join(f'&quot;{s}&quot;' for s in STATUSES)
    columns = "".join(f'<table:table-column table:style-name="co{i}"/>' for i in range(len(COLUMNS)))
    widths = "".join(f'<style:style style:name="co{i}" style:family="table-column"><style:table-column-properties '
                     f'style:column-width="{width * 0.19:.2f}cm"/></style:style>' for i, (_, _, width) in enumerate(COLUMNS))

    def cell(value: object, style: str = "", valid: bool = False) -> str:
        text = "" if value is None else str(value)
        attrs = f' table:style-name="{style}"' if style else ""
        attrs += ' table:content-validation-name="estado"' if valid else ""
        paragraphs = "".join(f"<text:p>{escape(line)}</text:p>" for line in text.split("\n")) if text else ""
        kind = ' office:value-type="string"' if text else ""
        return f"<table:table-cell{attrs}{kind}>{paragraphs}</table:table-cell>"

    header = "<table:table-row>" + "".join(cell(title, "cabecera") for _, title, _ in COLUMNS) + "</table:table-row>"
    body = "".join("<table:table-row>" + "".join(cell(getattr(row, key), valid=(i == STATUS_COLUMN))
                                                 for i, (key, _, _) in enumerate(COLUMNS)) + "</table:table-row>"
                   for row in rows)
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} office:version="1.3">'
        f"<office:automatic-styles>{widths}"
        '<style:style style:name="cabecera" style:family="table-cell"><style:table-cell-properties '
        'fo:background-color="#007934"/><style:text-properties fo:color="#ffffff" fo:font-weight="bold"/>'
        "</style:style></office:automatic-styles><office:body><office:spreadsheet>"
        '<table:content-validations><table:content-validation table:name="estado" table:allow-empty-cell="false" '
        f"table:condition={quoteattr('of:cell-content-is-in-list(' + statuses.replace('&quot;', chr(34)) + ')')} "
        'table:display-list="unsorted"><table:error-message table:display="true" table:message-type="stop">'
        f"<text:p>Elija un estado de la lista: {escape(', '.join(STATUSES))}</text:p></table:error-message>"
        "</table:content-validation></table:content-validations>"
        f'<table:table table:name="observaciones">{columns}{header}{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="{ODS_NS["manifest"]}" '
        'manifest:version="1.3"><manifest:file-entry manifest:full-path="/" manifest:version="1.3" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")  # stored, first
        archive.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
    atomic_write(dest, buffer.getvalue())


def _read_ods(path: Path) -> list[list[str]]:
    """The rows of an ODS's first sheet (repeated cells and rows expanded, within bounds), read safely."""
    from .. import safexml
    from ..importing.officefile import OfficeFileError, read_member

    table, text = f"{{{ODS_NS['table']}}}", f"{{{ODS_NS['text']}}}"
    try:
        with zipfile.ZipFile(path) as archive:
            root = safexml.fromstring_without_doctype(read_member(archive, "content.xml", limit=64 * 1024 * 1024,
                                                                  ratio=150))
    except (zipfile.BadZipFile, KeyError, OfficeFileError, safexml.DoctypeError, etree.XMLSyntaxError) as exc:
        raise ConfigError(f"{path}: no es una hoja de respuestas legible ({exc})",
                          "restáurela desde una copia; Imprenta la vuelve a escribir desde la base de datos") from exc
    sheet = root.find(f".//{table}table")
    rows: list[list[str]] = []
    for row in (sheet.iter(f"{table}table-row") if sheet is not None else []):
        cells: list[str] = []
        for cell in row:
            if cell.tag not in (f"{table}table-cell", f"{table}covered-table-cell"):
                continue
            value = "\n".join("".join(p.itertext()) for p in cell.iter(f"{text}p"))
            repeat = min(int(cell.get(f"{table}number-columns-repeated", "1") or 1), len(COLUMNS))
            cells += [value] * repeat
        repeat = min(int(row.get(f"{table}number-rows-repeated", "1") or 1), 100_000)
        if any(c.strip() for c in cells):
            rows += [cells] * repeat
    return rows


def read_sheet(path: Path) -> dict[str, tuple[str, str]]:
    """id -> (status, answer) from the team's workbook, XLSX or ODS."""
    if path.suffix.lower() == ".ods":
        lines = _read_ods(path)[1:]
    else:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged workbook
            raise ConfigError(f"{path}: no es una hoja de respuestas legible ({exc})",
                              "restáurela desde una copia; Imprenta la vuelve a escribir desde la base de datos") from exc
        lines = [["" if v is None else str(v) for v in line]
                 for line in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
        book.close()
    found: dict[str, tuple[str, str]] = {}
    for cells in lines:
        if not cells or not cells[0].strip():
            continue
        cells = cells + [""] * (len(COLUMNS) - len(cells))
        found[cells[0].strip()] = (cells[STATUS_COLUMN], cells[ANSWER_COLUMN])
    return found
