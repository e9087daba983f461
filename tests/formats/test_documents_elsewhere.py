"""Documents written elsewhere (MkDocs, Material, GitHub): the nav as the master, the dialect rendered in the PDF,
the DOCX and the ODT alike, raw HTML tables as tables, and the check that nothing was lost on the way."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path

import pikepdf
import pytest
from docx import Document as open_docx
from lxml import etree

from imprenta.config import Config
from imprenta.errors import Problems
from imprenta.formats.check import _pdf as pdf_inventory
from imprenta.formats.check import check_outputs
from imprenta.source.assemble import read_document
from imprenta.source.mkdocs import read_site

from conftest import PROJECTS, REPO, Project, pdf_text, rebuild

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
# What the dialect says, as a reader must find it in every output.
RENDERED = ["Nota con título", "Texto de la nota.", "Advertencia", "Advertencia sin título propio.", "Desplegable",
            "Contenido del desplegable.", "Importante", "Alerta de GitHub importante.", "Pestaña uno",
            "Contenido de la pestaña dos.", "Abreviaturas", "Vocabulario de catálogos de datos", "⭐", "✔",
            "Su definición.", "Texto del fragmento incluido desde otro archivo.", "Diagrama Mermaid no dibujado",
            "graph TD; Inicio-->Fin;", "Diagrama draw.io no dibujado", "Celda que ocupa dos columnas",
            "Texto dentro de un div con markdown."]
# What must never be printed as text.
LITERAL = ["!!!", "???", '=== "', "--8<--", "[!IMPORTANT]", "*[DCAT]", "{ align", "{:", "title: Construcciones",
           "markdown=", "<table", "<img"]


@pytest.fixture(scope="module")
def dialect(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Project:
    """The MkDocs sample (tests/proyectos/dialecto) built once: PDF, DOCX and ODT."""
    root = tmp_path_factory.mktemp("dialecto")
    shutil.copytree(PROJECTS / "dialecto", root, dirs_exist_ok=True)
    shutil.copytree(REPO / "plantillas", root / "plantillas")
    project = Project(root, root / "mkdocs.yml", shared_cache)
    rebuild(project)
    rebuild(project, "odt")
    return project


def _docx_text(path: Path) -> str:
    return " ".join(" ".join(p.text.split()) for p in open_docx(str(path)).paragraphs) + " " + " ".join(
        " ".join(cell.text.split()) for table in open_docx(str(path)).tables for row in table.rows for cell in row.cells)


def _odt_root(path: Path) -> etree._Element:
    with zipfile.ZipFile(path) as archive:
        return etree.fromstring(archive.read("content.xml"))


def test_the_nav_of_an_mkdocs_config_is_the_list_of_parts(tmp_path: Path) -> None:
    site = read_site(PROJECTS / "dialecto/mkdocs.yml", Problems())
    assert site.site_name == "Sitio de prueba del dialecto"  # the config's own, over the one it INHERITs
    assert site.docs_dir == (PROJECTS / "dialecto/docs").resolve()
    assert site.skipped == [(10, "Referencia externa", "https://example.org/api")]
    lines = site.master.text.splitlines()
    assert lines == ["- [Inicio](docs/index.md)", "- Guía", "    - [Construcciones](docs/guia/constructos.md)",
                     "    - [Página sin título](docs/guia/sin-titulo.md)", "    - [Tabla HTML](docs/guia/tabla.md)"]
    # Problems about an entry point at the config's own line.
    assert site.master.location(3).line == 7 and site.master.location(5).line == 9


def test_groups_and_nav_titles_make_the_structure(dialect: Project) -> None:
    with pikepdf.open(dialect.salida / "mkdocs.pdf") as pdf, pdf.open_outline() as outline:
        tree = [(str(i.title), [(str(c.title), [str(g.title) for g in c.children]) for c in i.children])
                for i in outline.root]
    body = tree[tree.index(("Inicio del sitio", [])):]
    assert body == [
        ("Inicio del sitio", []),
        ("Guía", [("Construcciones del dialecto", []),
                  ("Página sin título", ["Sección de una página sin título propio"]),  # its title from the nav
                  ("Tabla en HTML", [])]),
    ]
    headings = [(p.style.name, p.text) for p in open_docx(str(dialect.salida / "mkdocs.docx")).paragraphs
                if p.style.name.startswith("Heading")]
    assert ("Heading 1", "Guía") in headings and ("Heading 2", "Página sin título") in headings
    assert ("Heading 3", "Sección de una página sin título propio") in headings


@pytest.mark.parametrize("output", ["pdf", "docx", "odt"])
def test_the_dialect_is_rendered_not_printed(dialect: Project, output: str) -> None:
    path = dialect.salida / f"mkdocs.{output}"
    if output == "pdf":
        text = " ".join(pdf_text(path).split())
    elif output == "docx":
        text = _docx_text(path)
    else:
        text = " ".join(" ".join(_odt_root(path).itertext()).split())
    for words in RENDERED:
        assert words in text, (output, words)
    for literal in LITERAL:
        assert literal not in text, (output, literal)


def test_boxes_have_their_styles_in_the_editable_editions(dialect: Project) -> None:
    with zipfile.ZipFile(dialect.salida / "mkdocs.docx") as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
        styles = etree.fromstring(archive.read("word/styles.xml"))
    styled = [(p.find(f"{W}pPr/{W}pStyle").get(f"{W}val"), "".join(p.itertext())) for p in body.iter(f"{W}p")
              if p.find(f"{W}pPr/{W}pStyle") is not None]
    titles = [text for style, text in styled if style == "RecuadroTítulo"]
    assert titles == ["Nota con título", "Advertencia", "Desplegable", "Importante", "Pestaña uno", "Pestaña dos",
                      "Abreviaturas"]
    assert ("Recuadro", "Texto de la nota.") in styled
    assert any(style == "Marcadorausente" and "Mermaid" in text for style, text in styled)
    box = styles.find(f"{W}style[@{W}styleId='Recuadro']")
    assert box.find(f"{W}pPr/{W}pBdr/{W}left") is not None and box.find(f"{W}pPr/{W}shd") is not None
    odt = _odt_root(dialect.salida / "mkdocs.odt")
    names = [p.get(f"{{{TEXT}}}style-name") for p in odt.iter(f"{{{TEXT}}}p")]
    assert names.count("Recuadro_20_Título") == 7


def test_raw_html_tables_are_tables_with_their_spans(dialect: Project) -> None:
    with zipfile.ZipFile(dialect.salida / "mkdocs.docx") as archive:
        body = etree.fromstring(archive.read("word/document.xml"))
    table = next(t for t in body.iter(f"{W}tbl") if "Celda que ocupa dos columnas" in "".join(t.itertext()))
    assert table.find(f".//{W}gridSpan[@{W}val='2']") is not None
    assert table.find(f".//{W}vMerge[@{W}val='restart']") is not None
    assert "Primera línea" in "".join(table.itertext()) and table.find(f".//{W}br") is not None  # <br> in a cell
    pipe = next(t for t in body.iter(f"{W}tbl") if "piso dos" in "".join(t.itertext()))
    assert pipe.find(f".//{W}br") is not None  # and in a pipe table's cell: a line break, not lost
    odt = _odt_root(dialect.salida / "mkdocs.odt")
    cells = list(odt.iter(f"{{{TABLE}}}table-cell"))
    assert any(c.get(f"{{{TABLE}}}number-columns-spanned") == "2" for c in cells)
    assert any(c.get(f"{{{TABLE}}}number-rows-spanned") == "2" for c in cells)
    _, text, tables = pdf_inventory(dialect.salida / "mkdocs.pdf", read_text=True)
    assert tables == 2  # the HTML table and the pipe table, each a Table in the PDF's structure tree
    for cell in ("Tabla 1", "Campo", "Descripción", "nombre", "Primera línea segunda línea", "Otra fila del nombre",
                 "Celda que ocupa dos columnas"):
        assert cell in text, cell


def test_attribute_lists_and_html_images_size_the_images(dialect: Project) -> None:
    with zipfile.ZipFile(dialect.salida / "mkdocs.docx") as archive:
        body = archive.read("word/document.xml").decode("utf-8")
    widths = sorted(int(w) for w in re.findall(r'<wp:extent cx="(\d+)"', body))
    # { width=120 } and <img width="80">: CSS pixels, 96 to the inch, 914400 EMU to the inch.
    assert 120 * 9525 in widths and 80 * 9525 in widths


def test_warnings_name_what_cannot_be_drawn_at_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        shared_cache: Path) -> None:
    shutil.copytree(PROJECTS / "dialecto", tmp_path / "sitio")
    shutil.copytree(REPO / "plantillas", tmp_path / "sitio/plantillas")
    project = Project(tmp_path / "sitio", tmp_path / "sitio/mkdocs.yml", shared_cache)
    run = project.run(capsys, "revisar", expect_warnings=True)
    assert run.code == 0
    assert run.warnings == [
        "docs/guia/constructos.md:46: aviso: diagrama Mermaid: Imprenta no lo dibuja; se publica su código [dialecto.mermaid]",
        "docs/guia/constructos.md:50: aviso: diagrama de draw.io: Imprenta no lo dibuja: ../img/flujo.drawio [dialecto.drawio]",
    ]
    assert "mkdocs.yml:10: la entrada «Referencia externa» del nav es una dirección externa" in run.log
    assert "fragmentos/aviso.md" not in run.log  # an included snippet is part of the document, not "unlisted"


def _edit_zip(path: Path, part: str, change) -> None:  # noqa: ANN001 - a function of the part's text
    with zipfile.ZipFile(path) as archive:
        entries = {info.filename: archive.read(info) for info in archive.infolist()}
    entries[part] = change(entries[part].decode("utf-8")).encode("utf-8")
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)


def test_the_check_sees_what_an_output_lost(dialect: Project, tmp_path: Path) -> None:
    config = Config(root=dialect.root, master=dialect.master, templates_dir=dialect.root / "plantillas",
                    cache_dir=dialect.cache)
    doc = read_document(config, Problems())
    outputs = {name: shutil.copy(dialect.salida / f"mkdocs.{name}", tmp_path / f"mkdocs.{name}")
               for name in ("pdf", "docx", "odt")}
    clean = Problems()
    check_outputs(doc, {n: Path(p) for n, p in outputs.items()}, clean)
    assert not clean.items, [p.render() for p in clean.items]

    # The DOCX loses its table; the ODT, a box's title; the PDF, its last page (the diagram's code, the table).
    _edit_zip(Path(outputs["docx"]), "word/document.xml",
              lambda xml: re.sub(r"<w:tbl>.*?</w:tbl>", "", xml, flags=re.DOTALL))
    _edit_zip(Path(outputs["odt"]), "content.xml",
              lambda xml: xml.replace('text:style-name="Recuadro_20_Título">Importante', 'text:style-name="Standard">'))
    with pikepdf.open(outputs["pdf"], allow_overwriting_input=True) as pdf:
        del pdf.pages[-1]
        with pdf.open_outline() as outline:
            del outline.root[-1].children[-1]  # and the bookmark of the last section
        for element in pdf.objects:  # and its table is no longer tagged as one
            if isinstance(element, pikepdf.Dictionary) and element.get("/S") == "/Table":
                element.S = pikepdf.Name.Div
        pdf.save(outputs["pdf"])
    broken = Problems()
    check_outputs(doc, {n: Path(p) for n, p in outputs.items()}, broken)
    messages = [p.render().split("\n")[0] for p in broken.items]
    table_at = next(h.location for h in doc.headings if h.text == "Tabla en HTML")
    assert f"{table_at}: error: faltan en el DOCX 2 tablas de 2 en la sección «Tabla en HTML» [salida.incompleta]" \
        in messages
    box_at = next(h.location for h in doc.headings if h.text == "Construcciones del dialecto")
    assert (f"{box_at}: error: faltan en el ODT 1 recuadro de 7 en la sección «Construcciones del dialecto» "
            "[salida.incompleta]") in messages
    assert f"{table_at}: error: falta en el PDF el título «Tabla en HTML» [salida.incompleta]" in messages
    assert any("falta en el PDF el bloque de código que empieza «graph TD; Inicio-->Fin;»" in m for m in messages)
    assert any("falta en el PDF el recuadro «Abreviaturas»" in m for m in messages)
    assert any("el PDF tiene 0 tablas y el documento 2" in m for m in messages)


def test_a_draft_shows_what_is_missing_and_an_official_build_refuses_it(mini: Project,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    meta = mini.root / "fuente/metadatos.toml"
    meta.write_text(meta.read_text(encoding="utf-8").replace('estado = "aprobado"', 'estado = "borrador"'),
                    encoding="utf-8")
    part = mini.root / "fuente/partes/primera.md"
    part.write_text(part.read_text(encoding="utf-8")
                    .replace("punto.png", "falta.png")
                    .replace("#introduccion", "#no-existe"), encoding="utf-8")
    index = mini.root / "fuente/indice.md"
    index.write_text(index.read_text(encoding="utf-8") + "* [Tercera](partes/tercera.md)\n", encoding="utf-8")
    run = mini.run(capsys, "pdf", expect_warnings=True)
    assert run.code == 0, run.log
    for line in (
        "fuente/partes/primera.md:5: aviso: el enlace ../indice.md#no-existe apunta a un encabezado que no existe",
        "fuente/partes/primera.md:7: aviso: imagen no encontrada: ../../imagenes/falta.png [imagen.falta]",
        "fuente/indice.md:9: aviso: no se encontró el archivo tercera.md [fuente.falta]",
    ):
        assert line in run.log, line
    text = " ".join(pdf_text(mini.salida / "indice.pdf").split())
    assert "[Imagen no encontrada: ../../imagenes/falta.png]" in text
    assert "[Parte no encontrada: partes/tercera.md]" in text
    assert "vuelve a la introducción." in text  # the broken link keeps its text
    official = mini.run(capsys, "pdf", "--estricto", expect_warnings=True)
    assert official.code == 1
    assert "fuente/partes/primera.md:7: error: imagen no encontrada: ../../imagenes/falta.png [imagen.falta]" \
        in official.log
    assert "fuente/indice.md:9: error: no se encontró el archivo tercera.md [fuente.falta]" in official.log


def test_lists_of_parts_nest_with_group_titles_and_descriptions(mini: Project,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    (mini.root / "fuente/indice.md").write_text("\n".join([
        "# Documento de prueba", "", "## Introducción", "", "Un párrafo.", "",
        "* Primeros pasos",
        "    * [Primera](partes/primera.md) — la descripción de la primera parte",
        "* **[Segunda](partes/segunda.md)**: otra descripción", "",
    ]), encoding="utf-8")
    assert mini.run(capsys, "docx").code == 0
    headings = [(p.style.name, p.text) for p in open_docx(str(mini.salida / "indice.docx")).paragraphs
                if p.style.name.startswith("Heading")]
    assert headings[2:] == [("Heading 1", "Primeros pasos"), ("Heading 2", "Primera parte"), ("Heading 3", "Detalle"),
                            ("Heading 1", "Segunda parte"), ("Heading 2", "Detalle")]
    assert "descripción" not in _docx_text(mini.salida / "indice.docx")  # the index's own words, not content


def test_an_explicit_list_in_the_metadata_orders_the_parts(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    meta = mini.root / "fuente/metadatos.toml"
    meta.write_text(meta.read_text(encoding="utf-8") + 'partes = ["partes/segunda.md", "partes/primera.md"]\n',
                    encoding="utf-8")
    assert mini.run(capsys, "docx").code == 0
    headings = [p.text for p in open_docx(str(mini.salida / "indice.docx")).paragraphs
                if p.style.name == "Heading 1"]
    assert headings == ["Documento de prueba", "Segunda parte", "Primera parte"]
    meta.write_text(meta.read_text(encoding="utf-8").replace("partes/primera.md", "partes/cuarta.md"),
                    encoding="utf-8")
    run = mini.run(capsys, "docx", expect_warnings=True)
    assert run.code == 1
    assert "fuente/metadatos.toml:6: error: no se encontró el archivo cuarta.md [fuente.falta]" in run.log


def test_a_real_mkdocs_book_builds_with_its_admonitions(tmp_path: Path, shared_cache: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Rocky Linux's Ansible book (tests/corpus): INHERIT, docs_dir outside the config's folder, 44 admonitions,
    front matter, emoji shortcodes; built as the draft it is, with no error."""
    shutil.copytree(REPO / "tests/corpus/docs/rocky-learning-ansible-es", tmp_path / "libro")
    shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    project = Project(tmp_path, tmp_path / "libro/build_pdf/ansible_book/es.yml", shared_cache)
    run = project.run(capsys, "docx", expect_warnings=True)
    assert run.code == 0, run.log
    assert ": error: " not in run.log
    body = zipfile.ZipFile(project.salida / "es.docx").read("word/document.xml").decode("utf-8")
    assert body.count('w:pStyle w:val="RecuadroTítulo"') == 44
    text = _docx_text(project.salida / "es.docx")
    assert "⭐" in text and "!!!" not in text and "title:" not in text
