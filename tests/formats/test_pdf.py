"""The official PDF edition: PDF/A-3a and PDF/UA-1, attachments, tags, outline, contents, notes, numbering, watermark, bytes."""

from __future__ import annotations

import hashlib
import io
import re
import subprocess
import zipfile
from pathlib import Path

import pikepdf
import pytest
from PIL import Image, ImageChops

from imprenta.config import Config
from imprenta.errors import Problems
from imprenta.source.assemble import assemble
from imprenta.source.project import load_project

from conftest import PROJECTS, Project, build_project, page_texts, pdf_text, render_pages


def _headings(project: Project) -> list[tuple[int, str]]:
    """The document's headings (level, text) as the assembler sees them in the sources."""
    problems = Problems()
    doc = assemble(load_project(Config(master=project.master, templates_dir=project.root / "plantillas"), problems), problems)
    return [(h.level, h.text) for h in doc.headings]


def _outline(pdf: pikepdf.Pdf) -> list[tuple[int, str, int, float]]:
    """Bookmarks as (depth, title, 1-based page, y of the destination)."""
    pages = {page.objgen: n for n, page in enumerate(pdf.pages, start=1)}
    found: list[tuple[int, str, int, float]] = []
    with pdf.open_outline() as outline:

        def visit(items: list[pikepdf.OutlineItem], depth: int) -> None:
            for item in items:
                found.append((depth, item.title, pages[item.destination[0].objgen], float(item.destination[3])))
                visit(item.children, depth + 1)

        visit(outline.root, 1)
    return found


@pytest.mark.parametrize("name", ["plan", "muestra"])
def test_pdf_a_3a_and_ua_identification_output_intent_and_tags(name: str, request: pytest.FixtureRequest) -> None:
    project: Project = request.getfixturevalue(f"built_{name}")
    with pikepdf.open(project.salida / f"{project.master.stem}.pdf") as pdf:
        meta = pdf.open_metadata()
        assert meta["pdfaid:part"] == "3"
        assert meta["pdfaid:conformance"] == "A"
        assert meta["pdfuaid:part"] == "1"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle
        intent = pdf.Root.OutputIntents[0]
        assert intent.S == "/GTS_PDFA1"
        assert b"sRGB" in intent.DestOutputProfile.read_bytes()[:1000]
        assert "/StructTreeRoot" in pdf.Root and pdf.Root.MarkInfo.Marked
        assert str(pdf.Root.Lang) == "es-BO"


def test_every_font_is_embedded_and_subset(built_plan: Project) -> None:
    listing = subprocess.run(["pdffonts", str(built_plan.salida / "plan.pdf")], capture_output=True, text=True, check=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    for row in rows:
        emb, sub = row.split()[-5:-3]
        assert (emb, sub) == ("yes", "yes"), row
    assert "Imprenta-Sans" in listing  # the template's own font, not a fallback


def test_attachments_are_the_sources_and_the_docx_byte_for_byte(built_plan: Project) -> None:
    with pikepdf.open(built_plan.salida / "plan.pdf") as pdf:
        assert len(pdf.Root.AF) == 2
        files = dict(pdf.attachments.items())
        assert set(files) == {"fuentes.zip", "plan.docx"}
        assert files["fuentes.zip"].obj.AFRelationship == "/Source"
        assert files["plan.docx"].obj.AFRelationship == "/Alternative"
        docx = files["plan.docx"].get_file().read_bytes()
        archive = zipfile.ZipFile(io.BytesIO(files["fuentes.zip"].get_file().read_bytes()))
    assert docx == (built_plan.salida / "plan.docx").read_bytes()
    on_disk = sorted(
        p.relative_to(built_plan.root).as_posix()
        for folder in ("fuente", "imagenes")
        for p in (built_plan.root / folder).rglob("*")
        if p.is_file()
    )
    assert sorted(archive.namelist()) == on_disk
    for name in on_disk:
        assert archive.read(name) == (built_plan.root / name).read_bytes(), name

    # The colophon's SHA-256 is the hash of exactly these files (relative path and bytes, in name order).
    h = hashlib.sha256()
    for name in sorted(archive.namelist()):
        data, encoded = archive.read(name), name.encode()
        h.update(len(encoded).to_bytes(4, "big") + encoded + len(data).to_bytes(8, "big") + data)
    colophon = " ".join(page_texts(built_plan.salida / "plan.pdf")[1].split())
    assert h.hexdigest() in colophon
    assert "Decreto Supremo N.º 1793, de 13 de noviembre de 2013" in colophon
    assert "Versión 0.1" in colophon and "borrador" in colophon
    assert "Revisión de las fuentes sin control de versiones" in colophon  # a copy outside git says so


def test_outline_mirrors_the_heading_tree_and_h1_starts_a_page(built_plan: Project) -> None:
    with pikepdf.open(built_plan.salida / "plan.pdf") as pdf:
        outline = _outline(pdf)
        height = float(pdf.pages[0].mediabox[3])
    assert [(d, t) for d, t, _, _ in outline] == _headings(built_plan)
    parts = [(t, p, top) for d, t, p, top in outline if d == 1]
    assert len({p for _, p, _ in parts}) == len(parts)  # each part on its own page
    for title, _, top in parts:
        assert top > height - 2.5 / 2.54 * 72 - 30, f"{title} no empieza arriba de su página"


def test_metadata_comes_from_metadatos_toml_not_the_clock(built_plan: Project) -> None:
    with pikepdf.open(built_plan.salida / "plan.pdf") as pdf:
        info = pdf.docinfo
        assert str(info.Title) == "Plan de Implementación de Gobierno Electrónico"
        assert str(info.Author).startswith("Agencia de Gobierno Electrónico")
        assert str(info.Subject).startswith("Lineamientos para la implementación")
        assert "software libre" in str(info.Keywords)
        assert str(info.CreationDate).startswith("D:20261124")
        assert str(info.ModDate).startswith("D:20261124")


@pytest.mark.parametrize("name", ["plan", "muestra"])
def test_toc_page_numbers_are_the_pages_of_the_headings(name: str, request: pytest.FixtureRequest) -> None:
    project: Project = request.getfixturevalue(f"built_{name}")
    pdf = project.salida / f"{project.master.stem}.pdf"
    pages = [" ".join(t.split()) for t in page_texts(pdf)]
    toc = next(i for i, t in enumerate(page_texts(pdf)) if "Contenido" in t)
    entries = re.findall(r"^\s*(\S.*?)\s*\.{4,}\s*(\d+)\s*$", page_texts(pdf)[toc], re.MULTILINE)
    headings = _headings(project)
    assert [e[0] for e in entries][: len(headings)] == [t for _, t in headings]
    for text, number in entries:
        assert text.split(". ", 1)[-1][:30] in pages[int(number) - 1], f"«{text}» no está en la página {number}"
    with pikepdf.open(pdf) as doc:  # every entry is a link
        links = [a for a in doc.pages[toc].get("/Annots", []) if a.Subtype == "/Link"]
    assert len(links) >= len(entries)


def test_cover_has_no_header_or_footer_and_later_pages_do(built_plan: Project) -> None:
    pages = page_texts(built_plan.salida / "plan.pdf")
    n = len(pages)
    assert "Página" not in pages[0]
    cover = " ".join(pages[0].split())
    assert "Plan de Implementación de Gobierno Electrónico" in cover
    assert "Versión 0.1 · 24 de noviembre de 2026" in cover
    for number, text in enumerate(pages[1:], start=2):
        assert f"Página {number} de {n}" in text
    body = next(t for t in pages if "El Gobierno Electrónico en el Estado Plurinacional" in t and "Contenido" not in t)
    assert body.lstrip().startswith("Plan de Implementación de Gobierno Electrónico")  # running title
    assert "Contexto" in body.splitlines()[0]  # current part, from string-set


def test_every_footnote_is_on_the_page_of_its_call(built_muestra: Project) -> None:
    pages = page_texts(built_muestra.salida / "muestra.pdf")
    for n in range(1, 41):
        calls = [i for i, t in enumerate(pages) if f"(L{n:02d})" in t]
        notes = [i for i, t in enumerate(pages) if f"(N{n:02d})" in t]
        assert len(calls) == 1 and calls == notes, f"nota {n}: llamada en {calls}, texto en {notes}"


def test_plan_footnote_is_at_the_foot_of_its_page_with_no_hard_breaks(built_plan: Project) -> None:
    pages = page_texts(built_plan.salida / "plan.pdf")
    page = next(t for t in pages if "servicios básicos, entre los que incluye" in t)
    assert "1. Constitución Política del Estado, artículo 20" in page
    lines = page.rstrip().splitlines()
    assert any("Gaceta Oficial" in line for line in lines[-6:])


def test_figures_and_tables_are_numbered_and_cross_references_give_number_and_page(built_muestra: Project) -> None:
    pages = [" ".join(t.split()) for t in page_texts(built_muestra.salida / "muestra.pdf")]
    text = " ".join(pages)
    for label, caption in (("Figura 1", "Un punto rojo"), ("Tabla 1", "Resumen de los ejes"), ("Tabla 2", "Trámites digitales")):
        match = re.search(rf"{label} \(pág\. (\d+)\)", text)
        assert match, label
        assert f"{label}. {caption}" in pages[int(match.group(1)) - 1]
    lists = pages[2]  # contents, then the lists of figures and of tables, each entry with its page
    assert re.search(r"Figura 1\. Un punto rojo sobre fondo blanco ?\.+ ?4", lists)
    assert re.search(r"Tabla 1\. Resumen de los ejes ?\.+ ?4", lists)
    assert re.search(r"Tabla 2\. Trámites digitales por entidad ?\.+ ?16", lists)


def test_plan_numbers_its_figures_and_table(built_plan: Project) -> None:
    text = " ".join(pdf_text(built_plan.salida / "plan.pdf").split())
    assert "Figura 1. Metodología del plan" in text
    assert "Figura 2. Línea de tiempo del marco normativo" in text
    assert "Tabla 1. Principales normas del Gobierno Electrónico en Bolivia" in text
    assert re.search(r"la Figura 2 \(pág\. \d+\) las ordena", text)


def test_long_table_repeats_its_header_row_on_every_page(built_muestra: Project) -> None:
    pages = page_texts(built_muestra.salida / "muestra.pdf")
    table_pages = [t for t in pages if "Entidad pública" in t]
    assert len(table_pages) >= 2
    for text in table_pages:
        assert re.search(r"Número\s+Entidad\s+Trámite digital\s+Estado", text)


def test_draft_watermark_on_every_page_but_the_cover(tmp_path: Path, shared_cache: Path) -> None:
    project = build_project(tmp_path / "aprobado", PROJECTS / "mini", "fuente/indice.md", shared_cache)
    approved = render_pages(project.salida / "indice.pdf", tmp_path / "png-aprobado", 30)
    toml = project.master.parent / "metadatos.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('estado = "aprobado"', 'estado = "borrador"'), encoding="utf-8")
    draft = build_project(tmp_path / "borrador", project.root, "fuente/indice.md", shared_cache)
    drafted = render_pages(draft.salida / "indice.pdf", tmp_path / "png-borrador", 30)
    assert len(approved) == len(drafted) >= 4
    for number, (a, d) in enumerate(zip(approved, drafted), start=1):
        box = ImageChops.difference(Image.open(a), Image.open(d)).point(lambda v: 255 if v > 8 else 0).getbbox()
        if number == 1:
            assert box is None, "la portada no lleva marca de agua"
        else:
            height = Image.open(a).height
            assert box is not None and box[3] - box[1] > height / 2, f"página {number} sin marca de agua"


def test_same_sources_give_the_same_pdf_bytes(tmp_path: Path, shared_cache: Path) -> None:
    first = build_project(tmp_path / "uno", PROJECTS / "mini", "fuente/indice.md", shared_cache)
    second = build_project(tmp_path / "dos", PROJECTS / "mini", "fuente/indice.md", tmp_path / "otra-cache")
    assert (first.salida / "indice.pdf").read_bytes() == (second.salida / "indice.pdf").read_bytes()
    assert (first.salida / "indice.docx").read_bytes() == (second.salida / "indice.docx").read_bytes()


def test_version_history_prints_in_the_colophon(built_plan: Project) -> None:
    colophon = " ".join(page_texts(built_plan.salida / "plan.pdf")[1].split())
    assert "Historial de versiones" in colophon
    assert "Versión Fecha Resumen" in colophon
    assert "0.1 24 de noviembre de 2026 Primera versión, para la consulta de las entidades públicas" in colophon


def test_broken_version_history_is_reported_with_its_line(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    toml = mini.master.parent / "metadatos.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[[historial]]\nversion = "1.0"\nresumen = "sin fecha"\n',
                    encoding="utf-8")
    run = mini.run(capsys, expect_warnings=True)
    assert run.code == 1
    line = toml.read_text(encoding="utf-8").splitlines().index("[[historial]]") + 1
    assert f"fuente/metadatos.toml:{line}: error: entrada del historial no válida" in run.log
    assert "cada [[historial]] lleva version (texto), fecha (AAAA-MM-DD) y resumen (texto)" in run.log


def test_the_html_written_in_pieces_is_what_one_pandoc_run_writes(mini: Project, tmp_path: Path) -> None:
    """The PDF's HTML is written a part at a time and cached: put together, byte for byte one pandoc run's HTML of
    the whole document prepared at once, with the contents list, notes numbered across parts (one in a heading),
    code blocks named across parts (cb1, cb2...) and a space after a line break. An edit copies and writes again
    only its part (and the contents, whose colophon prints the sources' hash); the notes are the same list."""
    from imprenta.cache import Cache
    from imprenta.formats import accepted_kinds
    from imprenta.formats.pdf.pieces import HTML_ARGS, HTML_NAMESPACE, pdf_ast, pdf_html
    from imprenta.identity import identify
    from imprenta.images import prepare_images
    from imprenta.pandocast import dumps
    from imprenta.source.assemble import read_document
    from imprenta.templates.spec import load_spec
    from imprenta.tools import run_pandoc

    partes = mini.master.parent / "partes"
    code = "```json\n{\"a\": 1}\n```\n\n```text\nsin resaltar\n```\n\n```{#propio .python}\nx = 1\n```\n\n```python\ny = 2\n```\n"
    for name in ("primera", "segunda"):
        part = partes / f"{name}.md"
        part.write_text(part.read_text(encoding="utf-8") + f"\nUna línea  \n que sigue tras un salto.[^{name}]\n\n"
                        f"[^{name}]: Nota de la parte {name}.\n\n## Un título con nota[^t{name}]\n\n"
                        f"[^t{name}]: Nota en un título.\n\n{code}", encoding="utf-8")
    config = Config(root=mini.root, master=mini.master, templates_dir=mini.root / "plantillas", cache_dir=mini.cache)
    cache = Cache(tmp_path / "cache")

    def both() -> tuple[str, str, list[tuple[int, str]], list[tuple[int, str]]]:
        doc = read_document(config, Problems())
        prepare_images(doc, accepted_kinds(["pdf"]), config, Cache(config.cache_dir), Problems())
        identity = identify(doc)
        pieces, notes = pdf_html(doc, identity, "indice.docx", config, cache)
        ast, whole_notes = pdf_ast(doc, identity, "indice.docx")
        ast["meta"]["estilo-pagina"] = {"t": "MetaString", "c": load_spec(config.templates_dir).page_css()}
        template = config.templates_dir / "plantilla.html"
        whole = run_pandoc([*HTML_ARGS, "--standalone", f"--template={template}", "--toc", "--toc-depth=3"],
                           input_bytes=dumps(ast), what="una sola vez").stdout.decode("utf-8")
        return (pieces, whole, [(n.number, n.text) for n in notes], [(n.number, n.text) for n in whole_notes])

    pieces, whole, notes, whole_notes = both()
    assert pieces == whole
    assert notes == whole_notes and len(notes) == 4 and notes[3] == (4, "Nota en un título.")
    assert 'id="cb1"' in pieces and 'id="cb3"' in pieces and 'href="#cb6-1"' in pieces and 'id="propio"' in pieces
    assert 'class="indice"' in pieces and "toc-detalle" in pieces and 'id="nota-4"' in pieces
    written = len(list((cache.root / HTML_NAMESPACE).glob("*.html")))
    segunda = partes / "segunda.md"
    segunda.write_text(segunda.read_text(encoding="utf-8").replace("Texto de la segunda", "Texto cambiado de la segunda"),
                       encoding="utf-8")
    pieces, whole, notes, whole_notes = both()
    assert pieces == whole and "Texto cambiado de la segunda" in pieces and notes == whole_notes
    assert len(list((cache.root / HTML_NAMESPACE).glob("*.html"))) == written + 2  # the part, and the contents
    # Nothing changed: every piece comes from the cache, headings and notes of the parts not even copied.
    assert both()[0] == whole and len(list((cache.root / HTML_NAMESPACE).glob("*.html"))) == written + 2
