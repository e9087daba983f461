"""`importar`: real office documents (a manual of a Spanish ministry, and documents written for each case by the real
LibreOffice and by python-docx) become projects that build, with every count equal and the words all there."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from office_samples import libreoffice_sample

from imprenta.importing import import_document
from imprenta.pandocast import parse_markdown

from conftest import CORPUS, REPO, Project, rebuild

MANUAL = CORPUS / "oficina/es-monitoriza-manual-usuario.docx"
HOSTILE = CORPUS / "devueltos/hostiles"


def _import(source: Path, dest: Path, cache: Path, changes: str | None = None, overwrite: bool = False):
    return import_document(source, dest, changes, overwrite, REPO / "plantillas", cache)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    from imprenta import cli

    capsys.readouterr()
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


@pytest.fixture(scope="module")
def manual(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path):
    return _import(MANUAL, tmp_path_factory.mktemp("importado") / "monitoriza", shared_cache)


def test_a_real_manual_keeps_every_count_and_word(manual) -> None:
    from imprenta.importing.proof import counts_table

    rows = counts_table(manual.original, manual.sources, len(manual.comments))
    table = {what: (before, after, why) for what, before, after, why in rows}
    assert not [row for row in rows if row[3]], rows  # every count equal
    assert [table[f"títulos de nivel {n}"][0] for n in (1, 2, 3, 4)] == ["8", "9", "10", "3"]
    assert table["tablas"][:2] == ("13", "13") and table["celdas combinadas"][:2] == ("16", "16")
    assert table["imágenes PNG"][:2] == ("7", "7") and table["comentarios (en el informe)"][:2] == ("10", "10")
    assert table["pies de figura y de tabla"][1] == "6"
    assert manual.words.share >= 0.99 and manual.words.original > 3000 and not manual.words.missing
    # Comments never vanish: each in the report with where its passage landed in the new sources.
    report = manual.report.read_text(encoding="utf-8")
    assert report.count("<td>Autor</td>") == 10
    landed = re.findall(r"<code>(fuente/partes/[^<:]+\.md):(\d+)</code>", report)
    assert len(landed) == 10
    for path, line in landed:
        assert (manual.dest / path).is_file() and int(line) >= 1


def test_the_imported_manual_is_a_project_that_builds(manual, shared_cache: Path, tmp_path: Path) -> None:
    fuente = manual.dest / "fuente"
    parts = sorted((fuente / "partes").glob("*.md"))
    assert [p.name for p in parts][:3] == ["01-objeto.md", "02-alcance.md", "03-siglas.md"]
    master = manual.master.read_text(encoding="utf-8")
    assert master.startswith("# ") and all(f"(partes/{p.name})" in master for p in parts)
    for part in parts:  # each part starts at # (one top-level heading each)
        headers = [b["c"][0] for b in parse_markdown(part.read_text(encoding="utf-8"), part.name)["blocks"]
                   if b["t"] == "Header"]
        assert headers[0] == 1 and headers.count(1) == 1, part.name
    images = sorted(p.name for p in (manual.dest / "imagenes").iterdir())
    assert len(images) == 7 and "08-listado-de-correos-electronicos.png" in images
    metadata = (fuente / "metadatos.toml").read_text(encoding="utf-8")
    assert 'estado = "borrador"' in metadata and "titulo = " in metadata
    # The text boxes' pictures are figures with their captions, numbers left to Imprenta.
    text = (fuente / "partes" / "08-monitorizacion-plataforma-clve.md").read_text(encoding="utf-8")
    assert "![Listado de correos electrónicos](../../imagenes/08-listado-de-correos-electronicos.png)" in text
    assert "Ilustración 2" not in text
    # "urn:es:gob" keeps its colons (":es:" would otherwise become the flag of Spain).
    assert "urn\\:es\\:gob" in text
    copy = tmp_path / "proyecto"
    shutil.copytree(manual.dest, copy)
    shutil.copytree(REPO / "plantillas", copy / "plantillas")
    project = Project(copy, copy / "fuente" / manual.master.name, shared_cache)
    rebuild(project, "docx")
    assert (project.salida / manual.master.with_suffix(".docx").name).is_file()


def test_a_libreoffice_document_keeps_each_case(tmp_path: Path, shared_cache: Path) -> None:
    sample = libreoffice_sample(tmp_path / "muestras")
    for kind in ("docx", "odt"):
        imported = _import(sample[kind], tmp_path / f"guia-{kind}", shared_cache, changes="aceptar")
        fuente = imported.dest / "fuente"
        master = imported.master.read_text(encoding="utf-8")
        objeto = (fuente / "partes/01-objeto.md").read_text(encoding="utf-8")
        anexo = (fuente / "partes/02-anexo-de-formularios.md").read_text(encoding="utf-8")
        # The custom "Apartado" style with an outline level is a top-level heading like "Heading 1".
        assert master.startswith("# Guía de trámites en línea\n") and "[Anexo de formularios](partes/02-" in master
        assert anexo.startswith("# Anexo de formularios\n") and objeto.startswith("# Objeto\n")
        assert "## Plazos de respuesta" in objeto
        # The document's own contents list and page numbers are gone; footnote and endnote are notes.
        assert "Índice" not in master + objeto + anexo and "Página" not in master + objeto + anexo
        assert "[^1]: Según el Decreto Supremo 3251." in objeto
        assert "[^2]: Nota final sobre los días inhábiles." in objeto
        assert "[portal del Estado](https://www.gob.bo/)" in objeto
        # A merged cell: a grid table whose cell spans two columns.
        tables = [b for b in parse_markdown(objeto, "objeto")["blocks"] if b["t"] == "Table"]
        spans = [cell[3] for body in tables[0]["c"][4] for row in body[3] for cell in row[1]]
        assert 2 in spans, spans
        # The metafile figure kept as it is, under a readable name, its caption without the old number.
        images = list((imported.dest / "imagenes").iterdir())
        assert [p.suffix for p in images] in ([".wmf"], [".emf"]) and images[0].stem == "01-esquema-del-tramite"
        assert re.search(r"!\[Esquema del trámite\]\(\.\./\.\./imagenes/01-esquema-del-tramite\.(wmf|emf)", objeto)
        # The cross-reference and the page reference link to their target, in the other part.
        assert "Véase [Plazos de respuesta](01-objeto.md#plazos-de-respuesta)" in anexo
        # Tracked changes accepted, the comment in the report with the part:line its passage landed on.
        assert "responden en nuevos quince días hábiles" in objeto and "treinta" not in objeto
        report = imported.report.read_text(encoding="utf-8")
        assert "Confirmar el plazo con la norma vigente." in report and "Revisor Legal" in report
        line = next(n for n, text in enumerate(objeto.splitlines(), 1) if "salvo excepción" in text)
        assert f"<code>fuente/partes/01-objeto.md:{line}</code>" in report
        assert imported.words.share == 1.0, imported.words.missing


def test_tracked_changes_need_a_decision_and_rejecting_keeps_the_old_text(tmp_path: Path, shared_cache: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    sample = libreoffice_sample(tmp_path / "muestras")
    dest = tmp_path / "guia"
    code, log = _run(capsys, "importar", str(sample["docx"]), "--destino", str(dest),
                     "--plantillas", str(REPO / "plantillas"), "--cache", str(shared_cache))
    assert code == 1
    assert "error: guia.docx tiene 2 cambios controlados sin aceptar ni rechazar" in log
    assert "sugerencia: diga qué hacer con ellos: --cambios aceptar" in log
    assert not dest.exists() and not list(tmp_path.glob(".guia.importando-*"))
    rejected = _import(sample["odt"], dest, shared_cache, changes="rechazar")
    objeto = (rejected.dest / "fuente/partes/01-objeto.md").read_text(encoding="utf-8")
    assert "responden en treinta quince días hábiles" in objeto and "nuevos" not in objeto


def _python_docx_sample(path: Path) -> Path:
    """A document with localised heading styles ("Título 1", "Título 2") that carry no outline level, a paragraph
    whose own formatting gives it an outline level, and an EMF picture."""
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    document.core_properties.title = "Norma técnica de prueba"
    for level in (1, 2):
        style = document.styles.add_style(f"Título {level}", WD_STYLE_TYPE.PARAGRAPH)
        style.font.bold = True
    document.add_paragraph("Capítulo primero", style="Título 1")
    document.add_paragraph("Texto del capítulo primero.")
    document.add_paragraph("Sección uno", style="Título 2")
    document.add_paragraph("Texto de la sección.")
    outline = document.add_paragraph("Capítulo segundo")
    level = OxmlElement("w:outlineLvl")
    level.set(qn("w:val"), "0")
    outline._p.get_or_add_pPr().append(level)
    document.add_paragraph("Texto del capítulo segundo.")
    document.add_picture(str(CORPUS / "images/pillow__pil123p.png"))
    document.save(path)
    # The picture becomes an EMF one, as Word stores it: the part, its relationship and its content type.
    emf = (CORPUS / "images/poi__wrench.emf").read_bytes()
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    png = next(name for name in members if name.startswith("word/media/"))
    members.pop(png)
    members[png.rsplit(".", 1)[0] + ".emf"] = emf
    members["word/_rels/document.xml.rels"] = members["word/_rels/document.xml.rels"].replace(
        png.removeprefix("word/").encode(), (png.removeprefix("word/").rsplit(".", 1)[0] + ".emf").encode())
    members["[Content_Types].xml"] = members["[Content_Types].xml"].replace(
        b"</Types>", b'<Default Extension="emf" ContentType="image/x-emf"/></Types>')
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_localised_and_outline_level_headings_and_an_emf_picture(tmp_path: Path, shared_cache: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    source = _python_docx_sample(tmp_path / "norma.docx")
    dest = tmp_path / "norma"
    code, log = _run(capsys, "importar", str(source), "--destino", str(dest),
                     "--plantillas", str(REPO / "plantillas"), "--cache", str(shared_cache))
    assert code == 0, log
    assert re.search(r"títulos de nivel 1 +2 +2\n", log) and re.search(r"títulos de nivel 2 +1 +1\n", log)
    assert re.search(r"imágenes EMF +1 +1\n", log)
    assert "palabras del original en el DOCX reconstruido, en orden: 100.00 %" in log
    assert "compílelo con: python build.py --fuente" in log
    parts = sorted((dest / "fuente/partes").glob("*.md"))
    assert [p.name for p in parts] == ["01-capitulo-primero.md", "02-capitulo-segundo.md"]
    first = parts[0].read_text(encoding="utf-8")
    assert first.startswith("# Capítulo primero\n") and "\n## Sección uno\n" in first
    assert [p.suffix for p in (dest / "imagenes").iterdir()] == [".emf"]
    assert 'titulo = "Norma técnica de prueba"' in (dest / "fuente/metadatos.toml").read_text(encoding="utf-8")
    # An existing project is not overwritten unless asked.
    before = parts[0].read_bytes()
    code, log = _run(capsys, "importar", str(source), "--destino", str(dest))
    assert code == 1 and "ya existe y no está vacía" in log and "--sobrescribir" in log
    assert parts[0].read_bytes() == before


@pytest.mark.parametrize(("name", "cause"), [
    ("poi__test-data_document_bug53475-password-is-pass.docx", "está cifrado con contraseña"),
    ("poi__test-data_document_truncated62886.docx", "está dañado"),
    ("poi__test-data_document_crash-517626e815e0afa9decd0ebb6d1dee63fb9907dd.docx", "está dañado"),
    ("poi__test-data_document_clusterfuzz-testcase-minimized-POIXWPFFuzzer-4791943399604224.docx", "está dañado"),
    ("poi__test-data_document_ExternalEntityInText.docx", "declara un DOCTYPE o entidades XML"),
])
def test_hostile_files_are_refused_by_their_cause(name: str, cause: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    dest = tmp_path / "proyecto"
    code, log = _run(capsys, "importar", str(HOSTILE / name), "--destino", str(dest))
    assert code == 1 and cause in log and "sugerencia:" in log, log
    assert "Traceback" not in log and "la importación se detuvo; no se escribió nada" in log
    assert not dest.exists() and not list(tmp_path.glob(".proyecto.*"))


def test_word_97_and_files_that_are_no_office_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = libreoffice_sample(tmp_path / "muestras", changes=False, comments=False)
    # A real Word 97-2003 file, written by LibreOffice.
    subprocess.run(["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'perfil').as_uri()}",
                    "--convert-to", "doc", "--outdir", str(tmp_path), str(sample["odt"])], check=True,
                   capture_output=True, timeout=300)
    code, log = _run(capsys, "importar", str(tmp_path / "guia.doc"), "--destino", str(tmp_path / "a"))
    assert code == 1 and "es un documento de Word 97-2003 (.doc)" in log and "guárdelo como .docx u .odt" in log
    picture = tmp_path / "foto.docx"
    shutil.copyfile(CORPUS / "images/pillow__pil123p.png", picture)
    code, log = _run(capsys, "importar", str(picture), "--destino", str(tmp_path / "b"))
    assert code == 1 and "no es un documento de Word ni de LibreOffice (DOCX u ODT)" in log
    code, log = _run(capsys, "importar", str(tmp_path / "no-existe.docx"), "--destino", str(tmp_path / "c"))
    assert code == 1 and "no existe el archivo" in log
    assert not any((tmp_path / name).exists() for name in ("a", "b", "c"))


def test_a_drawing_with_no_picture_leaves_a_placeholder_and_a_warning(tmp_path: Path, shared_cache: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    sample = libreoffice_sample(tmp_path / "muestras", changes=False, comments=False, shape=True)
    code, log = _run(capsys, "importar", str(sample["docx"]), "--destino", str(tmp_path / "guia"),
                     "--plantillas", str(REPO / "plantillas"), "--cache", str(shared_cache))
    assert code == 0, log
    assert "AVISO: una forma en «Anexo de formularios» no tenía imagen que conservar" in log
    anexo = (tmp_path / "guia/fuente/partes/02-anexo-de-formularios.md").read_text(encoding="utf-8")
    assert "Flujo: \\[Aquí el original tenía una forma que no se pudo importar: insértelo como imagen.\\]" in anexo
