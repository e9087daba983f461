"""The editable DOCX of the plan: styles, cover, contents field, captions, properties, bookmarks, annotation copy,
and how LibreOffice and pandoc read it back."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document as open_docx
from docx.oxml.ns import qn
from docx.shared import Cm
from lxml import etree
from PIL import Image

from imprenta.formats.ooxml import bookmark_name
from imprenta.tools import pandoc_path

from conftest import Project, libreoffice_pdf, page_texts, rebuild
from plan_facts import META, check_libreoffice_layout, plan_headings, source_headings

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
def _xml(path: Path, part: str) -> etree._Element:
    with zipfile.ZipFile(path) as z:
        return etree.fromstring(z.read(part))


def _text(element: etree._Element) -> str:
    """The visible text under an element (its w:t nodes; python-docx's elements give odd itertext results)."""
    return "".join(t.text or "" for t in element.iter(f"{W}t"))


def _instructions(element: etree._Element) -> list[str]:
    """Every field instruction in a part, simple fields and complex ones alike, squeezed."""
    found = [f.get(f"{W}instr") for f in element.iter(f"{W}fldSimple")]
    found += [t.text for t in element.iter(f"{W}instrText")]
    return [" ".join(i.split()) for i in found if i]


def test_styles_page_header_and_footer(built_plan: Project) -> None:
    doc = open_docx(str(built_plan.salida / "plan.docx"))
    styles = {s.name: s for s in doc.styles}
    for name in ("Heading 1", "Heading 2", "Heading 3", "Body Text", "Image Caption", "Table Caption",
                 "toc 1", "toc 2", "toc 3", "Portada Título", "Portada Entidad", "Table"):
        assert name in styles, name
    assert str(styles["Heading 1"].font.color.rgb) == "007934"
    assert styles["Heading 1"].font.name == "Liberation Sans"
    assert styles["Heading 1"].paragraph_format.page_break_before
    table = styles["Table"].element
    assert len(table.findall(f"{W}tblPr/{W}tblBorders/*")) == 6  # outer and inner borders
    assert table.find(f"{W}tblStylePr[@{W}type='firstRow']/{W}tcPr/{W}shd").get(f"{W}fill") == "007934"

    section = doc.sections[0]
    assert abs(section.page_width - Cm(21)) < Cm(0.05) and abs(section.page_height - Cm(29.7)) < Cm(0.05)
    for margin in (section.left_margin, section.right_margin, section.top_margin, section.bottom_margin):
        assert abs(margin - Cm(2.5)) < Cm(0.05)  # the PDF's @page margin
    assert section.different_first_page_header_footer  # the cover has no header or footer
    header = section.header._element
    assert header.findall(f".//{W}drawing"), "la cabecera no lleva el emblema"
    assert "TITLE" in _instructions(header)
    assert META["titulo"] in "".join(t.text for t in header.iter(f"{W}t"))  # shown before any update
    footer = section.footer._element
    assert _instructions(footer) == ["PAGE", "NUMPAGES"]
    assert "".join(t.text for t in footer.iter(f"{W}t")).startswith("Página 1 de 1")


def test_cover_comes_from_the_metadata(built_plan: Project) -> None:
    doc = open_docx(str(built_plan.salida / "plan.docx"))
    cover = [(p.style.name, p.text) for p in doc.paragraphs[:8] if p.style.name.startswith("Portada")]
    assert cover[0][0] == "Portada Emblema" and doc.paragraphs[0]._p.findall(f".//{W}drawing")
    texts = [text for _, text in cover]
    assert META["entidad"].upper() in texts
    assert META["titulo"] in texts and META["subtitulo"] in texts
    assert "Versión 0.1 · 24 de noviembre de 2026" in texts
    assert "Estado: borrador" in texts


def test_contents_field_is_prefilled_with_links(built_plan: Project) -> None:
    body = _xml(built_plan.salida / "plan.docx", "word/document.xml").find(f"{W}body")
    sdt = body.find(f"{W}sdt")
    assert sdt.find(f".//{W}docPartGallery").get(f"{W}val") == "Table of Contents"
    assert _instructions(sdt) == ['TOC \\o "1-3" \\h \\z \\u']
    entries = [p for p in sdt.iter(f"{W}p") if p.find(f"{W}hyperlink") is not None]
    expected = [(level, text, anchor) for level, text, anchor in plan_headings() if level <= 3]
    assert len(expected) >= 15
    assert [_text(p.find(f"{W}hyperlink")) for p in entries] == [text for _, text, _ in expected]
    assert [p.find(f"{W}pPr/{W}pStyle").get(f"{W}val") for p in entries] == [f"TOC{level}" for level, _, _ in expected]
    bookmarks = {b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")}
    for p, (_, _, anchor) in zip(entries, expected):
        assert p.find(f"{W}hyperlink").get(f"{W}anchor") == bookmark_name(anchor) in bookmarks
    settings = _xml(built_plan.salida / "plan.docx", "word/settings.xml")
    assert settings.find(f"{W}updateFields").get(f"{W}val") == "true"  # Word refreshes it (and its pages) on open


def test_every_heading_has_a_bookmark_named_from_its_anchor(built_plan: Project) -> None:
    body = _xml(built_plan.salida / "plan.docx", "word/document.xml").find(f"{W}body")
    seen: list[tuple[str, str]] = []
    pending: list[str] = []
    for element in body:
        if element.tag == f"{W}bookmarkStart":
            pending.append(element.get(f"{W}name"))
        elif element.tag == f"{W}p":
            style = element.find(f"{W}pPr/{W}pStyle")
            if style is not None and style.get(f"{W}val").startswith("Heading"):
                pending += [b.get(f"{W}name") for b in element.iter(f"{W}bookmarkStart")]
                seen.append((_text(element), set(pending)))
            pending = []
    headings = plan_headings()
    assert [text for text, _ in seen] == [text for _, text, _ in headings]
    for (text, names), (_, _, anchor) in zip(seen, headings):
        assert bookmark_name(anchor) in names, (text, anchor, names)
    long = [anchor for _, _, anchor in headings if len(anchor) > 40]
    assert long and all(len(bookmark_name(a)) == 40 for a in long)  # Word's limit, pandoc's hashed name


def test_captions_are_numbered_with_seq_fields_and_references_resolve(built_plan: Project) -> None:
    doc = open_docx(str(built_plan.salida / "plan.docx"))
    # The w:t nodes, not .text: python-docx leaves out the result of a simple field (the number).
    captions = [(p.style.name, _text(p._p).replace("\u00a0", " "))
                for p in doc.paragraphs if p.style.name in ("Image Caption", "Table Caption")]
    assert captions == [
        ("Image Caption", "Figura 1. Metodología del plan"),
        ("Image Caption", "Figura 2. Línea de tiempo del marco normativo del Gobierno Electrónico"),
        ("Table Caption", "Tabla 1. Principales normas del Gobierno Electrónico en Bolivia"),
    ]
    body = doc.element.body
    assert _instructions(body).count("SEQ Figura \\* ARABIC") == 2
    assert _instructions(body).count("SEQ Tabla \\* ARABIC") == 1
    bookmarks = {b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))}
    links = {h.get(qn("w:anchor")): _text(h) for h in body.iter(qn("w:hyperlink")) if h.get(qn("w:anchor"))}
    assert links["tbl-normas"] == "Tabla\u00a01" and links["fig-linea-de-tiempo"] == "Figura\u00a02"
    assert set(links) <= bookmarks


def test_properties_come_from_the_metadata_not_the_clock(built_plan: Project) -> None:
    doc = open_docx(str(built_plan.salida / "plan.docx"))
    core = doc.core_properties
    assert core.title == META["titulo"] and core.subject == META["asunto"] and core.author == META["entidad"]
    assert core.keywords == ", ".join(META["palabras_clave"])
    assert core.language == "es-BO"
    noon = dt.datetime.combine(META["fecha"], dt.time(12), tzinfo=dt.UTC)
    assert core.created == noon and core.modified == noon
    custom = _xml(built_plan.salida / "plan.docx", "docProps/custom.xml")
    props = {p.get("name"): "".join(p.itertext()) for p in custom}
    assert props["version"] == META["version"] and props["estado"] == META["estado"]
    assert props["fecha"] == META["fecha"].isoformat()
    assert re.fullmatch(r"[0-9a-f]{64}", props["huella_fuentes"])
    assert not {"toc-title", "borrador", "fecha-texto", "subtitle"} & set(props)  # no template keys leak in


def test_pandoc_reads_every_heading_and_table_back(built_plan: Project) -> None:
    result = subprocess.run([pandoc_path(), "-f", "docx", "-t", "json", str(built_plan.salida / "plan.docx")],
                            capture_output=True, check=True)
    blocks = json.loads(result.stdout)["blocks"]
    headers: list[str] = []
    tables = 0

    def text(inlines: list) -> str:
        out = []
        for el in inlines:
            if el["t"] == "Str":
                out.append(el["c"])
            elif el["t"] == "Space":
                out.append(" ")
            elif el["t"] in ("Span", "Link", "Emph", "Strong"):
                out.append(text(el["c"][-1] if el["t"] != "Link" else el["c"][1]))
        return "".join(out)

    def visit(value: object) -> None:
        nonlocal tables
        if isinstance(value, dict):
            if value.get("t") == "Header":
                headers.append(text(value["c"][2]))
            tables += value.get("t") == "Table"
            for child in value.values():
                visit(child)
        elif isinstance(value, list):
            for child in value:
                visit(child)

    visit(blocks)
    assert headers == ["Contenido", *source_headings()]  # pandoc takes the contents' title for a heading
    assert tables == 2  # the version history on the cover, and the plan's table of norms


def test_annotation_copy_tracks_changes_and_is_protected(built_plan: Project) -> None:
    revision = _xml(built_plan.salida / "plan-revision.docx", "word/settings.xml")
    assert revision.find(f"{W}trackRevisions") is not None
    protection = revision.find(f"{W}documentProtection")
    assert protection.get(f"{W}edit") == "trackedChanges" and protection.get(f"{W}enforcement") == "1"
    # Word's schema order: trackRevisions before documentProtection before defaultTabStop.
    order = [child.tag.split("}")[1] for child in revision]
    assert order.index("trackRevisions") < order.index("documentProtection") < order.index("defaultTabStop")
    normal = _xml(built_plan.salida / "plan.docx", "word/settings.xml")
    assert normal.find(f"{W}trackRevisions") is None and normal.find(f"{W}documentProtection") is None
    # The same text: only the settings differ.
    with zipfile.ZipFile(built_plan.salida / "plan.docx") as a, zipfile.ZipFile(built_plan.salida / "plan-revision.docx") as b:
        assert a.read("word/document.xml") == b.read("word/document.xml")


def test_annotation_copy_password_is_words_hash(mini: Project, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    monkeypatch.setenv("IMPRENTA_CLAVE_REVISION", "clave-de-prueba")
    mini.run(capsys, "docx", "--revision")
    protection = _xml(mini.salida / "indice-revision.docx", "word/settings.xml").find(f"{W}documentProtection")
    assert protection.get(f"{W}algorithmName") == "SHA-512" and protection.get(f"{W}spinCount") == "100000"
    salt = base64.b64decode(protection.get(f"{W}saltValue"))
    digest = hashlib.sha512(salt + "clave-de-prueba".encode("utf-16-le")).digest()
    for i in range(100_000):
        digest = hashlib.sha512(digest + i.to_bytes(4, "little")).digest()
    assert base64.b64decode(protection.get(f"{W}hashValue")) == digest


def test_libreoffice_honours_the_annotation_mode(built_plan: Project, tmp_path: Path) -> None:
    """What LibreOffice makes of the protection: recording on, and the record switch protected by a key."""
    for name, tracked in (("plan-revision.docx", True), ("plan.docx", False)):
        subprocess.run(
            ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'perfil').as_uri()}",
             "--convert-to", "odt", "--outdir", str(tmp_path), str(built_plan.salida / name)],
            check=True, capture_output=True, timeout=300,
        )
        odt = tmp_path / f"{Path(name).stem}.odt"
        with zipfile.ZipFile(odt) as z:
            content, settings = z.read("content.xml").decode(), z.read("settings.xml").decode()
        assert ('text:track-changes="true"' in content) is tracked
        key = re.search(r'config:name="RedlineProtectionKey" config:type="base64Binary">([^<]*)<', settings)
        assert bool(key and key.group(1)) is tracked


def test_libreoffice_lays_out_the_docx(plan_in_libreoffice: dict[str, Path], tmp_path: Path) -> None:
    pdf = plan_in_libreoffice["docx"]
    check_libreoffice_layout(pdf, tmp_path)
    text = " ".join(" ".join(page_texts(pdf)).split())
    assert "Ejes y objetivos" in text  # the WMF is drawn by LibreOffice from the DOCX, text included


def test_blank_figure_would_be_seen(built_plan: Project, tmp_path: Path) -> None:
    """The figure check is not blind: the same page with the timeline replaced by a white image fails it."""
    copy = tmp_path / "blanco.docx"
    with zipfile.ZipFile(built_plan.salida / "plan.docx") as zin, zipfile.ZipFile(copy, "w") as zout:
        for entry in zin.infolist():
            data = zin.read(entry)
            if entry.filename.startswith("word/media/"):
                # Every picture becomes a white PNG (LibreOffice reads the bytes, whatever the name says).
                blank = tmp_path / "blanco.png"
                Image.new("RGB", (400, 200), "white").save(blank)
                data = blank.read_bytes()
            zout.writestr(entry, data)
    pdf = libreoffice_pdf(copy, tmp_path / "lo")
    with pytest.raises(AssertionError, match="no se ve"):
        check_libreoffice_layout(pdf, tmp_path)


def test_same_sources_give_the_same_editable_bytes(tmp_path: Path, shared_cache: Path) -> None:
    from conftest import PROJECTS, build_project

    builds = []
    for name, cache in (("uno", shared_cache), ("dos", tmp_path / "otra-cache")):
        project = build_project(tmp_path / name, PROJECTS / "mini", "fuente/indice.md", cache)
        rebuild(project, "docx", "--revision")
        rebuild(project, "odt")
        builds.append(project)
    for output in ("indice.docx", "indice-revision.docx", "indice.odt"):
        assert (builds[0].salida / output).read_bytes() == (builds[1].salida / output).read_bytes(), output
