"""The whole consultation, round after round, with the real LibreOffice (driven through UNO) as two entities: one
annotates the copy and saves DOCX, the other saves ODT; the team answers in the spreadsheet; the next edition goes
out and a second round comes back; every entity gets its answer. Nothing doubles, no answer is lost."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECTS, Project, _copy_project, edit, pdf_text, rebuild, uno

GIT = ["git", "-c", "user.name=Equipo editorial", "-c", "user.email=equipo@example.org"]

SALUD = {"autor": "Ana Mamani", "acciones": [
    {"comentar": "documentos oficiales", "texto": "¿Incluye los de las universidades?"},
    {"comentar": "15 días", "texto": "Plazo corto para responder.", "en": "tabla"},
    {"cambiar": "días hábiles", "por": "días hábiles administrativos"},
    {"cambiar": "ya ha realizado", "por": "realizó"},
    {"cambiar": "un responsable", "por": "dos responsables", "controlado": False},
]}
ORURO = {"autor": "Luis Choque", "acciones": [
    {"comentar": "nota oficial", "texto": "Aceptar también el correo institucional.", "en": "nota"},
    {"comentar": "Participan las siguientes entidades", "texto": "Falta la Contraloría."},
    {"cambiar": "gobiernos autónomos municipales", "por": "gobiernos autónomos municipales e indígenas"},
]}


def _git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True)


def _rows(project: Project) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO((project.salida / "observaciones.csv").read_text(encoding="utf-8-sig"))))


def _mine(rows: list[dict[str, str]], entity: str) -> list[tuple[str, str, str, str, str]]:
    return [(r["version"], r["tipo"], r["texto"], r["fuente_en_su_version"], r["lugar"])
            for r in rows if r["entidad"] == entity]


@pytest.fixture
def consultation(tmp_path: Path, shared_cache: Path) -> Project:
    """The "ediciones" project at version 0.1, under git (tag v0.1), with its annotation copy built."""
    project = Project(tmp_path, _copy_project(PROJECTS / "ediciones", tmp_path, "fuente/indice.md"), shared_cache)
    edit(tmp_path / "fuente/metadatos.toml", 'version = "1.0"', 'version = "0.1"')
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "fuente", "imagenes")
    _git(tmp_path, "commit", "-q", "-m", "Versión 0.1")
    _git(tmp_path, "tag", "v0.1")
    rebuild(project, "docx", "--revision")
    return project


def test_a_consultation_round_after_round(consultation: Project, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    project = consultation
    copy = project.salida / "indice-revision.docx"
    returned = tmp_path / "devueltos"
    returned.mkdir()
    salud = returned / "indice-revision_ministerio-de-salud.docx"
    oruro = returned / "indice-revision_gobernacion-de-oruro.odt"
    uno("annotate", copy, salud, SALUD)
    uno("annotate", copy, oruro, ORURO)

    # Round 0.1: both files collected, each observation with its kind, place, round and source line.
    run = project.run(capsys, "observaciones", str(salud), str(oruro), expect_warnings=True)
    assert run.code == 0, run.log
    assert "indice-revision_ministerio-de-salud.docx:1: aviso: la entidad quitó la protección" in run.log
    rows = _rows(project)
    assert _mine(rows, "ministerio de salud") == [
        ("0.1", "comentario", "¿Incluye los de las universidades?", "fuente/partes/objeto.md:3", "cuerpo"),
        ("0.1", "eliminación", "ya ha realizado", "fuente/partes/objeto.md:5", "cuerpo"),
        ("0.1", "inserción", "realizó", "fuente/partes/objeto.md:5", "cuerpo"),
        ("0.1", "eliminación", "días hábiles", "fuente/partes/plazos.md:3", "cuerpo"),
        ("0.1", "inserción", "días hábiles administrativos", "fuente/partes/plazos.md:3", "cuerpo"),
        ("0.1", "comentario", "Plazo corto para responder.", "fuente/partes/plazos.md:8", "cuerpo"),
        ("0.1", "cambio sin control de cambios", "Cada entidad designa dos responsables.",
         "fuente/partes/entidades.md:9", "cuerpo"),
    ], rows
    assert _mine(rows, "gobernacion de oruro") == [
        ("0.1", "comentario", "Aceptar también el correo institucional.", "fuente/partes/objeto.md:7", "nota al pie"),
        ("0.1", "comentario", "Falta la Contraloría.", "fuente/partes/entidades.md:3", "cuerpo"),
        ("0.1", "eliminación", "gobiernos autónomos municipales", "fuente/partes/entidades.md:7", "cuerpo"),
        ("0.1", "inserción", "gobiernos autónomos municipales e indígenas", "fuente/partes/entidades.md:7", "cuerpo"),
    ], rows
    untracked = next(r for r in rows if r["tipo"] == "cambio sin control de cambios")
    assert untracked["antes"] == "Cada entidad designa un responsable."
    assert all(r["estado"] == "pendiente" and r["estado_del_pasaje"] == "sin cambios" for r in rows)

    # The team answers in the spreadsheet (Excel), and one answer in the ODS (LibreOffice Calc).
    from openpyxl import load_workbook

    sheet_path = project.root / "observaciones/respuestas.xlsx"
    book = load_workbook(sheet_path)
    sheet = book.active
    ids = {sheet.cell(row, 9).value: row for row in range(2, sheet.max_row + 1)}
    sheet.cell(ids["¿Incluye los de las universidades?"], 12, "aceptada")
    sheet.cell(ids["¿Incluye los de las universidades?"], 13, "Se incluyen las universidades públicas.")
    sheet.cell(ids["Plazo corto para responder."], 12, "rechazada")
    sheet.cell(ids["Plazo corto para responder."], 13, "El plazo lo fija la ley.")
    book.save(sheet_path)
    ods = project.root / "observaciones/respuestas.ods"
    with zipfile.ZipFile(ods) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    content = members["content.xml"].decode("utf-8")
    target = "Falta la Contraloría.</text:p></table:table-cell>"
    at = content.index(target)
    row_end = content.index("</table:table-row>", at)
    answered = content[at:row_end].replace(
        "<table:table-cell table:content-validation-name=\"estado\" office:value-type=\"string\"><text:p>pendiente"
        "</text:p></table:table-cell><table:table-cell></table:table-cell>",
        "<table:table-cell table:content-validation-name=\"estado\" office:value-type=\"string\"><text:p>aceptada en "
        "parte</text:p></table:table-cell><table:table-cell office:value-type=\"string\"><text:p>Se añade la "
        "Contraloría como invitada.</text:p></table:table-cell>")
    assert answered != content[at:row_end]
    members["content.xml"] = (content[:at] + answered + content[row_end:]).encode("utf-8")
    with zipfile.ZipFile(ods, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)

    # Collected again, with the same files: the answers are kept, nothing doubles, each file a duplicate.
    again = project.run(capsys, "observaciones", str(salud), str(oruro), expect_warnings=True)
    assert again.code == 0, again.log
    assert again.log.count("ya reunido: no se cuenta dos veces") == 2
    rows = _rows(project)
    assert len(rows) == 11
    answers = {r["texto"]: (r["estado"], r["respuesta"]) for r in rows}
    assert answers["¿Incluye los de las universidades?"] == ("aceptada", "Se incluyen las universidades públicas.")
    assert answers["Plazo corto para responder."] == ("rechazada", "El plazo lo fija la ley.")
    assert answers["Falta la Contraloría."] == ("aceptada en parte", "Se añade la Contraloría como invitada.")
    book = load_workbook(sheet_path)  # the sheet written again from the ledger carries them
    assert "El plazo lo fija la ley." in [c.value for c in book.active["M"]]

    # An answer given is never replaced: a different text in the sheet is a clear error, and nothing is rewritten.
    book = load_workbook(sheet_path)
    row = [c.row for c in book.active["M"] if c.value == "El plazo lo fija la ley."][0]
    book.active.cell(row, 13, "Otro texto que borraría la respuesta.")
    book.save(sheet_path)
    before = sheet_path.read_bytes()
    conflict = project.run(capsys, "observaciones", "--respuestas", expect_warnings=True)
    assert conflict.code == 1
    assert "ya tiene una respuesta registrada («El plazo lo fija la ley.»)" in conflict.log
    assert "una respuesta dada no se reemplaza" in conflict.log
    assert sheet_path.read_bytes() == before
    book.active.cell(row, 13, "El plazo lo fija la ley. Se revisará en la versión 1.0.")  # adding to it is fine
    book.save(sheet_path)

    # Version 0.2 is published: a passage changed, another removed; a second round comes back on it.
    edit(project.root / "fuente/partes/objeto.md", "documentos oficiales del Estado", "documentos oficiales y "
         "universitarios del Estado")
    edit(project.root / "fuente/partes/entidades.md", "Participan las siguientes entidades:\n\n", "")
    edit(project.root / "fuente/metadatos.toml", 'version = "0.1"', 'version = "0.2"')
    _git(project.root, "commit", "-q", "-am", "Versión 0.2")
    _git(project.root, "tag", "v0.2")
    rebuild(project, "docx", "--revision")
    second = returned / "indice-revision_ministerio-de-salud-v02.docx"
    uno("annotate", project.salida / "indice-revision.docx", second,
        {"autor": "Ana Mamani", "acciones": [{"comentar": "universitarios", "texto": "Gracias, resuelto."}]})
    (project.root / "observaciones/entidades.toml").write_text(
        '[archivos]\n"indice-revision_ministerio-de-salud-v02.docx" = "ministerio de salud"\n', encoding="utf-8")
    run = project.run(capsys, "observaciones", str(second), "--respuestas", expect_warnings=True)
    assert run.code == 0, run.log
    rows = _rows(project)
    assert len(rows) == 12
    latest = next(r for r in rows if r["texto"] == "Gracias, resuelto.")
    assert (latest["version"], latest["entidad"], latest["fuente_en_su_version"]) == \
        ("0.2", "ministerio de salud", "fuente/partes/objeto.md:3")
    by_text = {r["texto"]: r for r in rows}
    # Round 0.1's passages where they stand now: changed, gone, or as they were.
    assert by_text["¿Incluye los de las universidades?"]["estado_del_pasaje"] == "cambió desde entonces"
    assert by_text["Falta la Contraloría."]["estado_del_pasaje"] == "ya no existe"
    assert by_text["Plazo corto para responder."]["estado_del_pasaje"] == "sin cambios"
    assert by_text["Plazo corto para responder."]["respuesta"] == "El plazo lo fija la ley. Se revisará en la versión 1.0."

    # The answer documents: one per entity, DOCX and PDF, in the document's identity.
    answer_pdf = project.salida / "respuestas/ministerio-de-salud.pdf"
    answer_docx = project.salida / "respuestas/ministerio-de-salud.docx"
    assert answer_pdf.is_file() and answer_docx.is_file()
    assert (project.salida / "respuestas/gobernacion-de-oruro.pdf").is_file()
    text = " ".join(pdf_text(answer_pdf).split())
    assert "Respuesta a las observaciones de ministerio de salud" in text
    assert "Estado: aceptada." in text and "Se incluyen las universidades públicas." in text
    assert "Estado: rechazada." in text and "El plazo lo fija la ley." in text
    assert "el pasaje cambió (fuente/partes/objeto.md:3)" in text
    assert "Norma de ediciones" in text  # the document's identity: its title on the cover and running heads
    from docx import Document as open_docx

    paragraphs = [p.text for p in open_docx(str(answer_docx)).paragraphs]
    assert "Respuesta: Se incluyen las universidades públicas." in paragraphs
