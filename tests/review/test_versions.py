"""Versions from git: `cambios --desde` finds exactly the edits, as tracked changes in a DOCX and in a summary."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from imprenta.tools import pandoc_path

from conftest import Project, edit

GIT = ["git", "-c", "user.name=Equipo editorial", "-c", "user.email=equipo@example.org"]


def _git(root: Path, *args: str) -> None:
    subprocess.run([*GIT, "-C", str(root), *args], check=True, capture_output=True)


def _changes(docx: Path) -> list[tuple[str, str]]:
    """Every tracked change in a DOCX as pandoc reads it back (--track-changes=all), in document order."""
    ast = json.loads(subprocess.run([pandoc_path(), "-f", "docx", "--track-changes=all", "-t", "json", str(docx)],
                                    capture_output=True, check=True).stdout)
    found: list[tuple[str, str]] = []

    def text(inlines: list) -> str:
        return "".join(i["c"] if i["t"] == "Str" else " " if i["t"] == "Space" else text(i["c"][-1]) if i["t"] == "Span" else ""
                       for i in inlines)

    def visit(value: object) -> None:
        if isinstance(value, dict):
            if value.get("t") == "Span" and {"insertion", "deletion"} & set(value["c"][0][1]):
                found.append((value["c"][0][1][0], text(value["c"][1])))
            for child in value.values():
                visit(child)
        elif isinstance(value, list):
            for child in value:
                visit(child)

    visit(ast["blocks"])
    return found


@pytest.fixture
def versioned(plan: Project) -> Project:
    """The plan under git, tagged v1.0, then edited: a paragraph, a heading and a table cell."""
    _git(plan.root, "init", "-q")
    _git(plan.root, "add", "fuente", "imagenes", "plantillas")
    _git(plan.root, "commit", "-q", "-m", "Versión 1.0")
    _git(plan.root, "tag", "v1.0")
    fuente = plan.root / "fuente"
    edit(fuente / "plan.md", "Para el año 2022, el Estado", "Para el año 2025, el Estado", count=1)
    edit(fuente / "partes/antecedentes.md", "## Creación de la Agencia", "## Creación de la AGETIC", count=1)
    edit(fuente / "partes/antecedentes.md", "Norma suprema del Estado Plurinacional", "Norma suprema del Estado", count=1)
    return plan


def test_changes_since_a_tag_are_tracked_changes_and_summarised(versioned: Project, capsys: pytest.CaptureFixture[str]) -> None:
    run = versioned.run(capsys, "cambios", "--desde", "v1.0")
    assert run.code == 0, run.log
    changes = _changes(versioned.salida / "plan-cambios.docx")
    assert changes == [
        ("deletion", "2022"), ("insertion", "2025"),        # the paragraph, word by word
        ("deletion", "Plurinacional"),                      # the table cell
        ("deletion", "Agencia"), ("insertion", "AGETIC"),   # the heading
    ], changes
    summary = (versioned.salida / "plan-cambios.html").read_text(encoding="utf-8")
    sections = re.findall(r"<h2[^>]*>(.*?)</h2>", summary)
    assert sections == [
        "PARTE I - Aspectos generales › Visión",
        "Antecedentes › Marco normativo",
        "Antecedentes › Marco normativo › Creación de la AGETIC",
    ], sections
    assert re.search(r'<span class="deletion"[^>]*>2022</span><span class="insertion"[^>]*>2025</span>', summary)
    assert re.search(r'<span class="deletion"[^>]*>Agencia</span><span class="insertion"[^>]*>AGETIC</span>', summary)
    assert "Plurinacional</span>" in summary
    # The DOCX is the whole new version: everything else is there, untouched.
    whole = subprocess.run([pandoc_path(), "-f", "docx", "--track-changes=accept", "-t", "plain",
                            str(versioned.salida / "plan-cambios.docx")], capture_output=True, text=True, check=True).stdout
    assert "Para el año 2025, el Estado" in " ".join(whole.split()) and "Creación de la AGETIC" in whole


def test_no_changes_means_an_empty_summary(versioned: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _git(versioned.root, "add", "-A")
    _git(versioned.root, "commit", "-q", "-m", "Versión 1.1")
    assert versioned.run(capsys, "cambios", "--desde", "HEAD").code == 0
    assert _changes(versioned.salida / "plan-cambios.docx") == []
    assert "0 inserciones y 0 eliminaciones en 0 secciones" in (versioned.salida / "plan-cambios.html").read_text(encoding="utf-8")


def test_unknown_version_is_explained(versioned: Project, capsys: pytest.CaptureFixture[str]) -> None:
    run = versioned.run(capsys, "cambios", "--desde", "v9.9")
    assert run.code == 1
    assert "error: no existe la versión «v9.9» en el repositorio" in run.log
    assert "sugerencia: vea las versiones con: git tag" in run.log
    assert not (versioned.salida / "plan-cambios.docx").exists()


def test_sources_outside_git_are_explained(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    run = mini.run(capsys, "cambios", "--desde", "v1.0")
    assert run.code == 1 and "no están en un repositorio git" in run.log


def _xml(docx: Path) -> str:
    import zipfile

    with zipfile.ZipFile(docx) as archive:
        return archive.read("word/document.xml").decode("utf-8")


def test_whole_list_items_and_rows_have_their_marks_tracked(versioned: Project,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    fuente = versioned.root / "fuente/partes"
    edit(fuente / "contexto.md", "- los telecentros comunitarios, que acercan el acceso a internet a poblaciones rurales;\n", "")
    edit(fuente / "antecedentes.md", "| Ley N.º 164 |",
         "| Ley N.º 999 | 1 de enero de 2020 | Una ley añadida en medio | Ninguna |\n| Ley N.º 164 |")
    assert versioned.run(capsys, "cambios", "--desde", "v1.0").code == 0
    xml = _xml(versioned.salida / "plan-cambios.docx")
    # The removed list item's paragraph mark is deleted too (accepting leaves no empty bullet) ...
    removed = re.search(r"<w:p>(?:(?!</w:p>).)*telecentros comunitarios(?:(?!</w:p>).)*</w:p>", xml)
    assert removed and re.search(r"<w:pPr>.*<w:rPr><w:del w:id=", removed.group(0)), removed
    # ... and the row added in the middle is one inserted row, the rows after it untouched.
    row = re.search(r"<w:tr>(?:(?!</w:tr>).)*Ley N.º 999(?:(?!</w:tr>).)*</w:tr>", xml)
    assert row and "<w:trPr><w:ins w:id=" in row.group(0)
    changes = _changes(versioned.salida / "plan-cambios.docx")
    assert ("insertion", "Ley N.º 999") in changes and not any("164" in text for _, text in changes), changes


def test_changes_between_two_tagged_editions(versioned: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _git(versioned.root, "add", "-A")
    _git(versioned.root, "commit", "-q", "-m", "Versión 2.0")
    _git(versioned.root, "tag", "v2.0")
    edit(versioned.root / "fuente/plan.md", "Para el año 2025, el Estado", "Para el año 2030, el Estado", count=1)
    assert versioned.run(capsys, "cambios", "--desde", "v1.0", "--hasta", "v2.0").code == 0
    changes = _changes(versioned.salida / "plan-cambios.docx")
    assert ("insertion", "2025") in changes and not any("2030" in text for _, text in changes), changes


def test_the_pdf_edition_of_changes_lists_sections_and_marks_each_change(versioned: Project, tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from PIL import Image

    from conftest import page_texts

    assert versioned.run(capsys, "cambios", "--desde", "v1.0").code == 0
    pdf = versioned.salida / "plan-cambios.pdf"
    pages = [" ".join(p.split()) for p in page_texts(pdf)]
    summary = next(i for i, p in enumerate(pages) if "Cambios desde v1.0" in p and "inserciones" in p)
    listed = re.findall(r"• (.+?) \(pág\. (\d+)\)", pages[summary])
    assert [name for name, _ in listed] == ["Visión", "Marco normativo", "Creación de la AGETIC"], listed
    for name, page in listed:  # each listed section is on the page given (its heading, deleted words and all)
        assert " ".join(name.split()[:2]) in pages[int(page) - 1], (name, page)
    changed = int(listed[0][1])
    subprocess.run(["pdftoppm", "-r", "50", "-f", str(changed), "-l", str(changed), "-png", str(pdf),
                    str(tmp_path / "p")], check=True)
    image = Image.open(next(tmp_path.glob("p*.png"))).convert("RGB")
    red = [(x, y) for x in range(image.width) for y in range(image.height)
           if (lambda r, g, b: r > 150 and g < 90 and b < 90)(*image.getpixel((x, y)))]
    green = [(x, y) for x in range(image.width) for y in range(image.height)
             if (lambda r, g, b: g > 90 and r < 60 and b < 90)(*image.getpixel((x, y)))]
    assert any(x < 49 for x, _ in red), "falta la barra de cambio en el margen"  # left of the 2.5 cm text edge
    assert any(x >= 49 for x, _ in red) and green  # the deleted year in red, the inserted one in green
