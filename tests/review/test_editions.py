"""Changes between two editions, each kind of edit, checked in what real clients make of them: LibreOffice (driven
through UNO) lists exactly the expected redlines in the DOCX and the ODT, and accepting all of them gives the new
edition's text, rejecting all the old one's; the PDF edition marks each change and each move."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import PROJECTS, Project, _copy_project, edit, page_texts, rebuild, uno

GIT = ["git", "-c", "user.name=Equipo editorial", "-c", "user.email=equipo@example.org"]
AUTHOR = "Imprenta (cambios desde v1.0)"
ANEXO = ("Anexo\nEste anexo reúne las definiciones usadas en la norma.\nDefiniciones\n"
         "Edición: cada versión publicada de un documento oficial.")

# Every edit an editor makes between two editions, as (file, old text, new text).
EDITS = [
    ("partes/objeto.md", "documentos oficiales", "documentos públicos"),                              # a word
    ("partes/objeto.md", "ya ha realizado la migración", "realizó hasta 2024 la migración"),          # a phrase
    ("partes/objeto.md", "nota oficial dirigida", "nota oficial o correo institucional dirigida"),    # a footnote
    ("partes/objeto.md", "Un punto rojo", "Un punto verde"),                                          # a caption
    ("partes/plazos.md", "| Respuesta |", "| Revisión | 10 días | Comisión |\n| Respuesta |"),        # a row inside
    ("partes/plazos.md", "| Publicación | 5 días | Agencia |\n",
     "| Publicación | 5 días | Agencia |\n| Archivo | 90 días | Agencia |\n"),                          # a row at the end
    ("partes/plazos.md", "| Documento | Formato |\n|-----------|---------|\n| Plan | PDF |\n| Guía | DOCX |",
     "| Documento | Formato | Firma |\n|---|---|---|\n| Plan | PDF | Sí |\n| Guía | DOCX | No |"),    # a column
    ("partes/entidades.md", "- las gobernaciones departamentales;\n", ""),                             # an item removed
    ("partes/entidades.md", "municipales.\n", "municipales;\n- las universidades públicas.\n"),        # an item added
    ("partes/entidades.md", "Cada entidad designa un responsable.\n",
     "Cada entidad designa un responsable.\n\nEl responsable coordina con la Agencia.\n"),           # a paragraph
    ("indice.md", "* [Objeto](partes/objeto.md)\n", "* [Anexo](partes/anexo.md)\n* [Objeto](partes/objeto.md)\n"),
    ("indice.md", "* [Entidades](partes/entidades.md)\n* [Anexo](partes/anexo.md)\n",
     "* [Entidades](partes/entidades.md)\n"),                                                           # a part moved
]

# What LibreOffice lists, in its order (footnotes first), for the DOCX and for the ODT alike.
EXPECTED_REDLINES = [
    ("Insert", " o correo institucional", "nota"),
    ("Insert", ANEXO + "\n", "texto"),  # the part moved: where it is now ...
    ("Delete", "oficiales", "texto"), ("Insert", "públicos", "texto"),
    ("Delete", "ya ha realizado", "texto"), ("Insert", "realizó hasta 2024", "texto"),
    ("Delete", "rojo", "texto"), ("Insert", "verde", "texto"),
    ("Insert", "Revisión", "tabla"), ("Insert", "10 días", "tabla"), ("Insert", "Comisión", "tabla"),
    ("Insert", "Archivo", "tabla"), ("Insert", "90 días", "tabla"), ("Insert", "Agencia", "tabla"),
    ("Insert", "Firma", "tabla"), ("Insert", "Sí", "tabla"), ("Insert", "No", "tabla"),
    ("Delete", "las gobernaciones departamentales;\n", "texto"),
    ("Delete", ".", "texto"), ("Insert", ";\nlas universidades públicas.", "texto"),
    ("Insert", "El responsable coordina con la Agencia.\n", "texto"),
    ("Delete", ANEXO, "texto"),         # ... and where it was
]


def _git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def editions(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> dict[str, Path]:
    """The "ediciones" project tagged v1.0, edited in every way, and compared: its two editions as plain DOCX
    (built at each), and the change edition in DOCX, ODT, PDF and HTML."""
    root = tmp_path_factory.mktemp("ediciones")
    project = Project(root, _copy_project(PROJECTS / "ediciones", root, "fuente/indice.md"), shared_cache)
    _git(root, "init", "-q")
    _git(root, "add", "fuente", "imagenes")
    _git(root, "commit", "-q", "-m", "Versión 1.0")
    _git(root, "tag", "v1.0")
    rebuild(project, "docx")
    editions = {"v1": root / "v1.docx"}
    shutil.copyfile(project.salida / "indice.docx", editions["v1"])
    for name, old, new in EDITS:
        edit(root / "fuente" / name, old, new, count=1)
    rebuild(project, "docx")
    editions["v2"] = root / "v2.docx"
    shutil.copyfile(project.salida / "indice.docx", editions["v2"])
    rebuild(project, "cambios", "--desde", "v1.0")
    for kind in ("docx", "odt", "pdf", "html"):
        editions[kind] = project.salida / f"indice-cambios.{kind}"
    return editions


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_libreoffice_lists_exactly_each_edit_as_a_redline(editions: dict[str, Path], kind: str) -> None:
    redlines = uno("redlines", editions[kind])
    assert {r["autor"] for r in redlines} == {AUTHOR}
    found = [(r["tipo"], r["texto"], r["lugar"]) for r in redlines]
    assert found == EXPECTED_REDLINES, found


def _body(text: str) -> list[str]:
    """A text export from the document's first paragraph on (past the cover, contents and change summary), one
    line per paragraph or cell, empty ones left out (a column added is an empty column once rejected)."""
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index("Documento de prueba para comparar dos ediciones publicadas.")
    return [line for line in lines[start:] if line]


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_accepting_all_gives_the_new_edition_and_rejecting_all_the_old(editions: dict[str, Path], kind: str,
                                                                      tmp_path: Path) -> None:
    texts, notes = {}, {}
    for name, command, source in (("v1", "text", editions["v1"]), ("v2", "text", editions["v2"]),
                                  ("accepted", "accept", editions[kind]), ("rejected", "reject", editions[kind])):
        result = uno(command, source, tmp_path / f"{name}.txt")[0]
        assert result["quedan"] == 0
        texts[name], notes[name] = _body((tmp_path / f"{name}.txt").read_text(encoding="utf-8-sig")), result["notas"]
    assert texts["v1"] != texts["v2"]
    assert texts["accepted"] == texts["v2"]
    assert texts["rejected"] == texts["v1"]
    assert notes["accepted"] == notes["v2"] and notes["rejected"] == notes["v1"] and notes["v1"] != notes["v2"]


def test_a_moved_part_is_a_move_in_the_docx(editions: dict[str, Path]) -> None:
    with zipfile.ZipFile(editions["docx"]) as archive:
        xml = archive.read("word/document.xml").decode("utf-8")
    names = {side: re.findall(rf'<w:move{side}RangeStart [^>]*w:name="([^"]+)"', xml) for side in ("From", "To")}
    assert names["From"] == names["To"] == ["traslado1"], names
    moved_from = re.search(r"<w:moveFromRangeStart .*?<w:moveFromRangeEnd [^>]*/>", xml, re.S)
    moved_to = re.search(r"<w:moveToRangeStart .*?<w:moveToRangeEnd [^>]*/>", xml, re.S)
    assert moved_from and moved_to and moved_to.start() < moved_from.start()  # Anexo now comes first
    for found in (moved_from.group(0), moved_to.group(0)):
        words = " ".join(re.findall(r"<w:t[^>]*>([^<]*)</w:t>", found))
        assert "Este anexo reúne las definiciones" in words and "Edición: cada versión publicada" in words
    assert AUTHOR + " · traslado" not in xml  # the tag that carried the move is gone


def test_the_pdf_and_the_summary_show_each_change_and_the_move(editions: dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    pages = [" ".join(p.split()) for p in page_texts(editions["pdf"])]
    summary = next(p for p in pages if "Cambios desde v1.0" in p and "inserciones" in p)
    assert "1 traslado" in summary and "«Anexo»" in summary
    listed = re.findall(r"• (\w+) \(pág\. (\d+)\)", summary)
    assert [name for name, _ in listed] == ["Anexo", "Definiciones", "Objeto", "Plazos", "Entidades"], listed
    body = " ".join(pages)
    # Deleted and inserted words read apart ("oficiales públicos", not "oficialespúblicos").
    for words in ("oficiales públicos", "ya ha realizado realizó hasta 2024", "rojo verde", "Revisión 10 días Comisión",
                  "Archivo 90 días Agencia", "Firma", "las gobernaciones departamentales",
                  "las universidades públicas", "El responsable coordina con la Agencia"):
        assert words in body, words
    # The moved part in blue (double line), where it is now and where it was.
    anexo = [int(page) for name, page in listed if name == "Anexo"][0]
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(editions["pdf"]), str(tmp_path / "p")], check=True)
    images = sorted(tmp_path.glob("p*.png"), key=lambda p: int(p.stem.split("-")[-1]))
    def blue(path: Path) -> int:
        image = Image.open(path).convert("RGB")
        pixels = (image.getpixel((x, y)) for x in range(image.width) for y in range(image.height))
        return sum(1 for r, g, b in pixels if b > 120 and r < 80 and g < 110)
    assert blue(images[anexo - 1]) > 50
    assert sum(blue(p) for p in images[anexo:]) > 50  # the old place, struck through
    html = editions["html"].read_text(encoding="utf-8")
    assert re.search(r'<span class="insertion traslado"', html) and "«Anexo»" in html
