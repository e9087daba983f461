"""The PDF laid out in chunks (one per part) and merged: the same document as one layout would give, and reused.

Unit tests of the HTML cuts and the style sheet rewrite, then a generated three-part document built in
worker processes and in this process (same bytes), read back page by page: footers, footnote numbers
running across parts, links and bookmarks across parts, and a one-paragraph edit that lays out one part.
"""

from __future__ import annotations

import random
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pikepdf
import pytest

from imprenta.formats.pdf import layout
from imprenta.formats.pdf.chunks import ANCHOR_SCHEME, keep_whole, split, with_style
from imprenta.formats.pdf.layout import BODY, FURNITURE, Job, lay_out, rewrite_css

from conftest import REPO, Project, page_texts

PARAGRAPH = (
    "El Gobierno Electrónico usa las tecnologías de la información para mejorar la gestión pública y la relación "
    "del Estado con la población, con trámites más simples, datos abiertos y servicios en línea para todos. "
) * 3

HTML = """<!DOCTYPE html><html><head><title>T</title></head><body class="borrador">
<section class="portada"><h1 class="titulo">T</h1></section><nav data-trozo><a href="#dos" id="toc-dos">Dos</a></nav>
<main>
<p>Antes de todo.</p>
<section id="uno" class="level1">
<h1>Uno</h1>
<p>Texto<span id="nota-1" class="nota">nota</span> y <img src="x.png" alt="x"></p>
<div id="parte-b" class="parte" data-fuente="b.md">
<section id="dos" class="level1">
<h1>Dos</h1>
<ul><li>punto<span id="nota-2" class="nota">otra</span></li></ul>
<p>Ver <a href="#uno">uno</a>.</p>
</section>
</div>
<section id="tres" class="level2"><h2>Tres</h2><p>Sigue en la parte b.</p></section>
</section>
</main>
</body></html>"""


def test_the_body_is_cut_before_each_h1_and_every_anchor_stays_in_one_chunk() -> None:
    chunks = split(HTML)
    # The cover; the contents (marked data-trozo); what comes before the first H1 (on a page of its own: every H1
    # of the body starts one); Uno; Dos.
    assert len(chunks) == 5
    cover, contents, before, first, second = chunks
    assert "<main>" not in cover.html and "portada" in cover.html and "<nav" not in cover.html
    assert "<main>" not in contents.html and "portada" not in contents.html and contents.targets == ("dos",)
    assert "Antes de todo" in before.html and "<h1>" not in before.html
    assert "<h1>Uno</h1>" in first.html and "Dos" not in first.html
    assert first.notes == (1,) and second.notes == (2,)
    # The part's wrapper opens in the second chunk with its ids: anchors live where their heading is.
    assert '<div id="parte-b"' in second.html and '<section id="dos"' in second.html
    assert '<section id="uno"' in first.html and 'class="level1">' in second.html and 'id="uno"' not in second.html
    for anchor in ("uno", "dos", "tres", "parte-b", "nota-1", "nota-2", "toc-dos"):
        assert sum(anchor in re.findall(r'\bid="([^"]+)"', c.html) for c in chunks) == 1, anchor
    # Nothing of the body is lost or doubled: the text of the chunks is the text of <main>.
    text = lambda html: re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()  # noqa: E731
    main = HTML[HTML.index("<main>") + 6 : HTML.index("</main>")]
    bodies = [c.html[c.html.index("<main>") + 6 : c.html.index("</main>")] for c in chunks[2:]]
    assert text(" ".join(bodies)) == text(main)
    # Each chunk is balanced: what a cut closes, the next chunk reopens.
    for body in bodies:
        assert body.count("<section") == body.count("</section>") and body.count("<div") == body.count("</div>")
    # Internal links leave as URIs with the page number to print, filled in later.
    assert f'href="{ANCHOR_SCHEME}uno" data-pagina="{{{{pagina:uno}}}}"' in second.html
    assert 'data-pagina="7"' in second.with_pages({"uno": 7}) and 'data-pagina="?"' in second.with_pages({})


def test_a_note_is_kept_whole_with_its_paragraph_or_list_item() -> None:
    *_, first, second = split(HTML)
    assert '<p class="nota-junta">Texto<span id="nota-1"' in keep_whole(first.html, 1)
    assert '<li class="nota-junta">punto<span id="nota-2"' in keep_whole(second.html, 2)
    assert keep_whole(second.html, 1) is None


def test_the_style_sheet_is_split_between_the_chunks_and_the_furniture() -> None:
    css = (REPO / "plantillas/estilo.css").read_text(encoding="utf-8")
    body, furniture = rewrite_css(css, BODY), rewrite_css(css, FURNITURE)
    assert "counter(pages)" not in body and "target-counter" not in body
    assert "@top-left { content: string(titulo-doc)" in body and "attr(data-pagina)" in body
    assert '"Página " counter(page) " de " counter(pages)' in furniture
    assert "@top-left { content: none" in furniture and "@top-right { content: none" in furniture


def _three_parts(project: Project) -> Project:
    """Three parts of about three pages each, with footnotes, a figure and links between parts."""
    partes = project.master.parent / "partes"
    for old in partes.iterdir():
        old.unlink()
    names = ["primera", "segunda", "tercera"]
    for n, name in enumerate(names, start=1):
        lines = [f"# Parte {n}", ""]
        for s in range(1, 6):
            lines += [f"## Tramo {n}.{s}", ""]
            for k in range(1, 4):
                lines += [f"{PARAGRAPH}[^p{n}t{s}n{k}]", "", f"[^p{n}t{s}n{k}]: Nota {k} del tramo {n}.{s}.", ""]
        if n == 3:
            lines += ["Este tramo remite al [primer tramo](primera.md#tramo-1.1).", ""]
        if n == 1:
            lines += ["![Un punto rojo](../../imagenes/punto.png)", ""]
        (partes / f"{name}.md").write_text("\n".join(lines), encoding="utf-8")
    project.master.write_text(
        "# Documento de prueba\n\nIntroducción.\n\n" + "\n".join(f"* [{n.title()}](partes/{n}.md)" for n in names) + "\n",
        encoding="utf-8",
    )
    return project


def _copy(project: Project, dest: Path) -> Project:
    shutil.copytree(project.root, dest)
    return Project(dest, dest / project.master.relative_to(project.root), dest / "cache")


def test_chunks_laid_out_in_processes_make_one_exact_document(
    mini: Project, tmp_path_factory: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    base = _three_parts(mini)
    here = _copy(base, tmp_path_factory.mktemp("aqui") / "p")
    pool = _copy(base, tmp_path_factory.mktemp("procesos") / "p")
    monkeypatch.setenv("IMPRENTA_PROCESOS", "1")
    assert here.run(capsys, "pdf").code == 0
    monkeypatch.setenv("IMPRENTA_PROCESOS", "2")
    run = pool.run(capsys, "pdf")
    assert run.code == 0
    assert "6 de 6 partes maquetadas" in run.log  # cover, contents, the master's own part, three parts: none cached
    pdf = pool.salida / "indice.pdf"
    assert pdf.read_bytes() == (here.salida / "indice.pdf").read_bytes()  # the processes change nothing

    texts = [" ".join(t.split()) for t in page_texts(pdf)]
    total = len(texts)
    assert total >= 10
    assert "Página" not in texts[0]  # the cover has no footer
    for number, text in enumerate(texts[1:], start=2):
        assert text.endswith(f"Página {number} de {total}"), (number, text[-60:])
        assert text.startswith("Documento de prueba"), number  # the running title, set on the cover, in every chunk
    # Footnotes are numbered across the parts: part 2 starts at note 16.
    second = next(i for i, t in enumerate(texts) if "Tramo 2.1" in t and "Contenido" not in t)
    assert re.search(r"\b16\. Nota 1 del tramo 2\.1\.", texts[second]), texts[second]
    with pikepdf.open(pdf) as doc:
        pages = {page.objgen: n for n, page in enumerate(doc.pages, start=1)}
        dests = dict(zip(*[iter(doc.Root.Names.Dests.Names)] * 2))
        links = [(n, a) for n, page in enumerate(doc.pages, start=1) for a in page.get("/Annots", [])
                 if a.Subtype == "/Link"]
        assert links and all("/A" not in a or not str(a.A.get("/URI", "")).startswith(ANCHOR_SCHEME) for _, a in links)
        for _, annotation in links:
            if "/Dest" in annotation:
                assert str(annotation.Dest) in {str(k) for k in dests}, annotation.Dest
        back = [a for n, a in links if n > second and str(a.get("/Dest", "")) == "tramo-1.1"]
        assert back, "el enlace de la tercera parte a la primera se perdió"
        target = next(v for k, v in dests.items() if str(k) == "tramo-1.1")
        assert "Tramo 1.1" in texts[pages[target[0].objgen] - 1]
        with doc.open_outline() as outline:
            tops = [(item.title, pages[item.destination[0].objgen]) for item in outline.root]
        assert [t for t, _ in tops] == ["Documento de prueba", "Parte 1", "Parte 2", "Parte 3"]
        for title, page in tops:
            assert title in texts[page - 1]
        assert doc.check_pdf_syntax() == []  # qpdf reads every object, stream and cross-reference cleanly
        # One tag tree: every page's marked content maps to structure elements in one parent tree, and every
        # structure element points to a page of this file (none to a page of a chunk's file).
        stack, elements = [doc.Root.StructTreeRoot], 0
        while stack:
            element = stack.pop()
            if isinstance(element, pikepdf.Dictionary):
                elements += 1
                assert "/Pg" not in element or element.Pg.objgen in pages
                kids = element.get("/K")
                stack.extend(kids if isinstance(kids, pikepdf.Array) else [kids] if kids is not None else [])
        assert elements > 100
        nums = list(doc.Root.StructTreeRoot.ParentTree.Nums)
        keys = [int(k) for k in nums[0::2]]
        assert keys == sorted(keys) and keys[:total] == list(range(total))
        assert [int(p.StructParents) for p in doc.pages] == list(range(total))

    # One paragraph of the second part changes: that part is laid out again, and the cover, whose colophon prints
    # the sources' hash; the contents and the other parts come from the cache.
    segunda = pool.master.parent / "partes/segunda.md"
    segunda.write_text(segunda.read_text(encoding="utf-8").replace("usa las", "emplea las", 1), encoding="utf-8")
    run = pool.run(capsys, "pdf")
    assert "2 de 6 partes maquetadas" in run.log, run.log
    assert page_texts(pool.salida / "indice.pdf")[second].count("emplea las") == 1
    # The PDF put together from cached chunks is, byte for byte, the one a clean build of the edited sources makes.
    clean = _copy(pool, tmp_path_factory.mktemp("limpia") / "p")
    shutil.rmtree(clean.cache)
    shutil.rmtree(clean.salida)
    assert clean.run(capsys, "pdf").code == 0
    assert (clean.salida / "indice.pdf").read_bytes() == (pool.salida / "indice.pdf").read_bytes()


def test_the_plan_in_chunks_reads_as_the_plan_laid_out_whole(
    plan: Project, built_plan: Project, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Short documents are laid out whole; forced into chunks, the plan prints the same text on every page:
    contents and cross-reference page numbers, footnote numbers, running headers, "Página X de Y"."""
    monkeypatch.setenv("IMPRENTA_PROCESOS", "2")
    run = plan.run(capsys, "pdf")
    assert run.code == 0 and "partes maquetadas" in run.log
    chunked, whole = page_texts(plan.salida / "plan.pdf"), page_texts(built_plan.salida / "plan.pdf")
    assert len(chunked) == len(whole)
    for number, (a, b) in enumerate(zip(chunked, whole), start=1):
        assert a.split() == b.split(), f"página {number}"
    with pikepdf.open(plan.salida / "plan.pdf") as a, pikepdf.open(built_plan.salida / "plan.pdf") as b:
        assert set(a.attachments) == set(b.attachments) == {"fuentes.zip", "plan.docx"}
        assert len(a.Root.AF) == 2 and a.open_metadata()["pdfaid:part"] == "3"
        with a.open_outline() as x, b.open_outline() as y:
            assert [i.title for i in x.root] == [i.title for i in y.root]


def _stray_notes_job() -> Job:
    """Thirty long paragraphs of the plan's sentences, each calling a note: with the template's style sheet,
    WeasyPrint moves one of these notes away from its call (measured), so the layout has to repair it."""
    sentences = [s.strip() + "." for s in (REPO / "fuente/plan.md").read_text(encoding="utf-8").replace("\n", " ").split(".")
                 if len(s.split()) > 6 and not any(c in s for c in "#*[]()!|")]
    rng = random.Random(7)
    body = "".join(f'<p>{" ".join(rng.choice(sentences) for _ in range(5))}'
                   f'<span id="nota-{n}" class="nota">{rng.choice(sentences)}</span></p>\n' for n in range(1, 31))
    html = ('<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>T</title>'
            f'<link rel="stylesheet" href="estilo.css"></head><body><main><section class="level1"><h1>Parte</h1>{body}'
            "</section></main></body></html>")
    templates = REPO / "plantillas"
    return Job(html, BODY, templates.as_uri() + "/", str(templates), (), tuple(range(1, 31)))


def test_a_chunk_laid_out_again_keeps_its_notes_from_the_first_pass(tmp_path: Path) -> None:
    """A chunk laid out a second time in one build (its page numbers changed) starts from the paragraphs its first
    layout kept with their notes: one pass instead of a repair, and the same pages."""
    job = _stray_notes_job()
    first = lay_out(job, str(tmp_path / "primera.pdf"))
    assert first.passes == 2 and first.kept and not first.misplaced  # a note strayed and was brought back
    again = lay_out(replace(job, kept=tuple(first.kept)), str(tmp_path / "segunda.pdf"))
    assert again.passes == 1 and again.kept == first.kept and not again.misplaced
    assert (tmp_path / "segunda.pdf").read_bytes() == (tmp_path / "primera.pdf").read_bytes()


def _sections_job() -> Job:
    """Eight sections of paragraphs of the plan's sentences, half of them calling a note, as a chunk from the middle
    of a document (its footnote counter and running title set, as render.py sets them): with the template's style
    sheet, one note strays on page 9 of 10, after a page that starts with a paragraph of its own (measured)."""
    sentences = [s.strip() + "." for s in (REPO / "fuente/plan.md").read_text(encoding="utf-8").replace("\n", " ").split(".")
                 if len(s.split()) > 6 and not any(c in s for c in "#*[]()!|")]
    rng = random.Random(37)
    sections, note = [], 40
    for section in range(1, 9):
        blocks = [f"<h2>Sección {section}</h2>"]
        for _ in range(rng.randint(3, 6)):
            text = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 5)))
            if rng.random() < 0.5:
                note += 1
                called = " ".join(rng.choice(sentences) for _ in range(rng.randint(1, 3)))
                text += f'<span id="nota-{note}" class="nota">{called}</span>'
            blocks.append(f"<p>{text}</p>")
        sections.append(f'<section class="level2">{"".join(blocks)}</section>')
    html = ('<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>T</title>'
            '<link rel="stylesheet" href="estilo.css"></head><body><main><div class="parte"><section class="level1">'
            f'<h1>Parte</h1>{"".join(sections)}</section></div></main></body></html>')
    html = with_style(html, 'body { counter-reset: footnote 40; string-set: titulo-doc "Plan de prueba"; }')
    templates = REPO / "plantillas"
    return Job(html, BODY, templates.as_uri() + "/", str(templates), (), tuple(range(41, note + 1)))


def test_a_repair_lays_out_again_only_the_pages_from_the_kept_paragraph_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pages before the paragraph kept with its note are not laid out again (cuts.py): the rest of the chunk is
    laid out alone, from a page that starts with a block of its own, carrying the running title and the footnote
    count. The PDF is byte for byte the one laying out the whole chunk again gives."""
    job = _sections_job()
    cut = lay_out(job, str(tmp_path / "cortado.pdf"))
    assert cut.passes == 2 and cut.kept and not cut.misplaced
    monkeypatch.setattr(layout, "find_cut", lambda *args: None)  # as before: the whole chunk again
    whole = lay_out(job, str(tmp_path / "entero.pdf"))
    assert whole.passes == 2 and whole.kept == cut.kept
    assert cut.laid < whole.laid - 5, (cut.laid, whole.laid)  # the second pass laid out only the last pages
    assert (tmp_path / "cortado.pdf").read_bytes() == (tmp_path / "entero.pdf").read_bytes()
    texts = page_texts(tmp_path / "cortado.pdf")
    assert all("Plan de prueba" in text for text in texts)  # the running title, on the pages laid out alone too
    notes = [int(n) for text in texts for n in re.findall(r"^(\d+)\. ", text, re.MULTILINE)]
    assert notes == list(range(41, 41 + len(job.notes)))  # every note, numbered on from the chunk's first
