"""The real plan, built once: what the PDF and the DOCX contain, checked with pdftotext, pikepdf and python-docx."""

from __future__ import annotations

import hashlib
import struct
import zipfile
from pathlib import Path

import pikepdf
from docx import Document as open_docx
from docx.oxml.ns import qn

from conftest import REPO, Project, pdf_text
from plan_facts import source_headings

# Words that exist only inside the WMF drawing, never in the Markdown.
WMF_WORDS = ["Ejes y objetivos", "Entidades responsables de la implementación", "Nivel departamental", "cómo se logrará"]


# SHA-256 of ../shared/seed/000_39cad0bf037bf502.txt, the plan's text exactly as the client supplied it.
SEED_DIGEST = "d6ef1c368f4a8096f20e19af9500cdaf084b88e4f6096507af393f8f664c4978"


def test_master_is_the_seed_byte_for_byte() -> None:
    assert hashlib.sha256((REPO / "fuente/plan.md").read_bytes()).hexdigest() == SEED_DIGEST


def test_pdf_has_every_heading_in_order(built_plan: Project) -> None:
    text = pdf_text(built_plan.salida / "plan.pdf")
    first = "PARTE I - Aspectos generales"
    body = text[text.index(first, text.index(first) + 1):]  # its second appearance: after the table of contents
    position = 0
    for heading in source_headings():
        found = body.find(heading, position)
        assert found >= 0, f"falta el título o está fuera de orden: {heading}"
        position = found + len(heading)


def test_pdf_has_table_footnote_and_wmf_words_as_text(built_plan: Project) -> None:
    text = " ".join(pdf_text(built_plan.salida / "plan.pdf").split())
    for cell in ("Norma", "Relación con el Gobierno Electrónico", "9 de septiembre de 2015", "Decreto Supremo N.º 2514"):
        assert cell in text
    assert "Constitución Política del Estado, artículo 20, parágrafo I" in text  # the footnote
    for words in WMF_WORDS:
        assert words in text, f"el texto del WMF no está en el PDF como texto: {words}"
    # The list of parts is replaced by the parts: its link labels do not appear.
    assert "1. Contexto" not in text and "2. Antecedentes" not in text


def test_pdf_is_a4_with_page_numbers_and_embedded_fonts(built_plan: Project) -> None:
    with pikepdf.open(built_plan.salida / "plan.pdf") as pdf:
        n = len(pdf.pages)
        box = [float(v) for v in pdf.pages[0].mediabox]
        assert abs(box[2] - 595.3) < 1 and abs(box[3] - 841.9) < 1
        fonts = {}
        for page in pdf.pages:
            for _, font in page.resources.get("/Font", {}).items():
                fonts[str(font.get("/BaseFont"))] = font
        assert fonts
        for name, font in fonts.items():
            descriptor = font.get("/FontDescriptor") or font["/DescendantFonts"][0]["/FontDescriptor"]
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), f"fuente sin incrustar: {name}"
    assert f"Página 2 de {n}" in pdf_text(built_plan.salida / "plan.pdf")


def test_pdf_links_between_parts_are_internal(built_plan: Project) -> None:
    with pikepdf.open(built_plan.salida / "plan.pdf") as pdf:
        internal = external = 0
        for page in pdf.pages:
            for annot in page.get("/Annots", []):
                action = annot.get("/A")
                if action is not None and "/URI" in action:
                    external += 1
                    assert ".md" not in str(action["/URI"]), "un enlace entre partes quedó como archivo"
                elif "/Dest" in annot or (action is not None and action.get("/S") == "/GoTo"):
                    internal += 1
    # Four links in the parts plus one entry per heading in the table of contents.
    assert internal >= 4 + len(source_headings())
    assert external == 0


def _wmf_aspect(path: Path) -> float:
    _, _, left, top, right, bottom, _ = struct.unpack_from("<IHhhhhH", path.read_bytes(), 0)
    return (right - left) / (bottom - top)


def test_docx_structure(built_plan: Project) -> None:
    doc = open_docx(str(built_plan.salida / "plan.docx"))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert [text for _, text in headings] == source_headings()
    levels = {text: int(style.split()[-1]) for style, text in headings}
    assert levels["PARTE I - Aspectos generales"] == 1 and levels["Marco normativo"] == 2 and levels["Ley N.º 164"] == 3

    assert len(doc.tables) == 2  # the version history on the cover, then the plan's table
    assert [c.text for c in doc.tables[0].rows[0].cells] == ["Versión", "Fecha", "Resumen"]
    table = doc.tables[1]
    assert len(table.columns) == 4 and len(table.rows) == 5
    assert table.cell(0, 3).text == "Relación con el Gobierno Electrónico"

    shapes = doc.inline_shapes
    assert len(shapes) == 3  # the cover's emblem, then the two figures
    with zipfile.ZipFile(built_plan.salida / "plan.docx") as z:
        media = [n for n in z.namelist() if n.startswith("word/media/")]
    # The WMF goes in as itself (Word and LibreOffice draw it); the SVG as a 300 dpi PNG that every reader draws.
    assert sorted(Path(n).suffix for n in media) == [".png", ".png", ".png", ".wmf"]  # and the header's emblem
    wmf_shape = shapes[1]
    ratio = wmf_shape.width / wmf_shape.height
    expected = _wmf_aspect(REPO / "imagenes/metodologia_del_plan.wmf")
    assert abs(ratio / expected - 1) < 0.02, (ratio, expected)


def test_docx_internal_links_reach_bookmarks(built_plan: Project) -> None:
    doc = open_docx(str(built_plan.salida / "plan.docx"))
    body = doc.element.body
    bookmarks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    anchors = [h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink")) if h.get(qn("w:anchor"))]
    targets = {"mision", "enfoques-del-plan", "marco-normativo", "infraestructura-disponible", "alcance-del-plan"}
    assert targets <= set(anchors)
    assert set(anchors) <= bookmarks
