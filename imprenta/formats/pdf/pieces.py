"""The PDF's HTML: the document as the template wants it, written by pandoc a part at a time and cached per part.

The template gets the notes inline (spans floated to the foot of the page), the images at their PDF variants,
task boxes as characters, the lists of figures and tables and the build's identity in its metadata. pandoc writes
it in pieces, side by side: the template filled with the contents list made from the headings alone, and the body
one part (one top-level division) at a time, each through a template of only the body. Each part is cached by its
own sources (its blocks as read, the number its notes start from, its images' variants), so an edit copies and
writes only its part; the others are not even copied. Put together, the pieces are byte for byte what one pandoc
run on the whole document writes (tests/formats/test_pdf.py compares them). Where the template's body cannot be
found once in the result, the whole document is written by one run.
"""

from __future__ import annotations

import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...cache import Cache
from ...config import Config
from ...document import IMAGE_PLACEHOLDER, Document, SourceFile, image_url
from ...identity import Identity
from ...pandocast import Element, dumps, meta_string, stringify, walk
from ...publish import atomic_write
from ...templates.spec import load_spec
from ...tools import pandoc_path, run_pandoc
from .notes import Note, inline_notes

SOURCES_ATTACHMENT = "fuentes.zip"
HTML_ARGS = ["--sandbox", "--from", "json", "--to", "html5",
             "--wrap=none",  # a line break inside a source paragraph or note is a space, never a hard break
             "--section-divs"]
# Cache namespace of the HTML pandoc wrote for each piece of the document; bump PIECES_VERSION when what a piece
# is made of (the transforms below) changes.
HTML_NAMESPACE = "html-trozos"
PIECES_VERSION = "1"
BODY_TEMPLATE = "$body$\n"


def _float_list(doc: Document, kind: str) -> Element | None:
    """The list of figures or of tables as metadata blocks: one link per entry (the page comes from CSS)."""
    items = [
        [{"t": "Plain", "c": [{"t": "Link", "c": [["", [], []], [{"t": "Str", "c": f.title}], [f"#{f.anchor}", ""]]}]}]
        for f in doc.floats
        if f.kind == kind
    ]
    return {"t": "MetaBlocks", "c": [{"t": "BulletList", "c": items}]} if items else None


# Task lists (`- [x] hecha`): pandoc's HTML writes form fields, which a PDF/A should not hold; the boxes are
# printed as characters instead.
_TASK_BOXES = {"☒": "☑", "☐": "☐"}


def _task_boxes(el: Element) -> None:
    if el["t"] != "BulletList":
        return
    for item in el["c"]:
        first = item[0] if item and item[0]["t"] in ("Plain", "Para") else None
        if first and first["c"] and first["c"][0] == {"t": "Str", "c": first["c"][0].get("c")} \
                and first["c"][0]["c"] in _TASK_BOXES:
            box = _TASK_BOXES[first["c"][0]["c"]]
            first["c"][0] = {"t": "Span", "c": [["", ["tarea"], []], [{"t": "Str", "c": box}]]}


def _described_images(el: Element) -> None:
    """An image without a description (a warning in a draft, an error in an official edition) is not left without
    one in the PDF (PDF/UA): a screen reader says that it has none."""
    if el["t"] == "Image" and not stringify(el["c"][1]).strip():
        el["c"][1] = [{"t": "Str", "c": "Imagen sin descripción"}]


def _prepared(doc: Document, blocks: list[Element], start: int) -> tuple[list[Element], list[Note]]:
    """A copy of the blocks as the template wants them, and their notes, numbered from start."""
    copy: list[Element] = json.loads(json.dumps(blocks))  # a deep copy, several times faster than copy.deepcopy
    walk(copy, lambda el: doc.point_image(el, "pdf"))
    walk(copy, _task_boxes)
    walk(copy, _described_images)
    return copy, inline_notes(doc, copy, start)


def pdf_meta(doc: Document, identity: Identity, docx_name: str) -> dict[str, Any]:
    """The template's metadata: the document's, the lists of figures and tables, the build's identity."""
    meta = doc.meta.to_pandoc()
    for key, kind in (("lista-figuras", "figura"), ("lista-tablas", "tabla")):
        if (entries := _float_list(doc, kind)) is not None:
            meta[key] = entries
    meta["revision"] = meta_string(identity.revision)
    meta["huella"] = meta_string(identity.digest)
    meta["adjunto-fuentes"] = meta_string(SOURCES_ATTACHMENT)
    meta["adjunto-docx"] = meta_string(docx_name)
    return meta


def pdf_ast(doc: Document, identity: Identity, docx_name: str) -> tuple[dict[str, Any], list[Note]]:
    """The whole document as the template wants it, at once (one pandoc run; the benchmark; the tests)."""
    blocks, notes = _prepared(doc, doc.blocks, 1)
    return {"pandoc-api-version": doc.api_version, "meta": pdf_meta(doc, identity, docx_name), "blocks": blocks}, notes


def _headings_only(blocks: list[Element]) -> list[Element]:
    """The headings of the blocks, inside the divisions that hold them: all the contents list is made of."""
    kept: list[Element] = []
    for block in blocks:
        if block["t"] == "Header":
            kept.append(block)
        elif block["t"] == "Div":
            kept.append({"t": "Div", "c": [block["c"][0], _headings_only(block["c"][1])]})
    return kept


def _pieces(blocks: list[Element]) -> list[list[Element]]:
    """The body in pieces pandoc writes alike alone or together: each division (a part) alone, and each run of
    blocks between them (pandoc's sections never cross a division's edge)."""
    pieces: list[list[Element]] = []
    run: list[Element] = []
    for block in blocks:
        if block["t"] == "Div":
            if run:
                pieces.append(run)
                run = []
            pieces.append([block])
        else:
            run.append(block)
    return [*pieces, run] if run else pieces


@dataclass
class _Survey:
    """What one walk over a piece (as read, untouched) finds: what its HTML depends on besides its blocks (each
    image's PDF variant and size), whether a heading holds a note (its contents entry then needs the piece's note
    numbering), its notes as inline_notes numbers them, and its code blocks without an identifier."""

    images: list[Any] = field(default_factory=list)
    noted_heading: bool = False
    notes: list[Note] = field(default_factory=list)
    unnamed_code: int = 0


def _survey(doc: Document, blocks: list[Element], start: int) -> _Survey:
    found = _Survey()
    by_path = {s.path: s for s in doc.sources}

    def visit(el: Element, source: SourceFile) -> None:
        kind = el["t"]
        if kind == "Note":
            found.notes.append(Note(start + len(found.notes), source, stringify(el["c"])))
        elif kind == "Image" and el["c"][2][0].startswith(IMAGE_PLACEHOLDER):
            variant = doc.images[int(el["c"][2][0][len(IMAGE_PLACEHOLDER):])].variants["pdf"]
            found.images.append([image_url(variant.path), variant.width_cm, variant.height_cm])
        elif kind == "Header" and not found.noted_heading:
            inner: list[Element] = []
            walk(el["c"][2], lambda sub: inner.append(sub) if sub["t"] == "Note" else None)
            found.noted_heading = bool(inner)
        elif kind == "CodeBlock" and not el["c"][0][0]:
            found.unnamed_code += 1

    def blocks_of(items: list[Element], source: SourceFile) -> None:
        for block in items:  # a part's notes were written in its file (as inline_notes reads them)
            if block["t"] == "Div" and "parte" in block["c"][0][1]:
                shown = dict(block["c"][0][2]).get("fuente", "")
                blocks_of(block["c"][1], by_path.get((doc.master.path.parent / shown).resolve(), source))
            else:
                walk(block, lambda el: visit(el, source))

    blocks_of(blocks, doc.master)
    return found


def pdf_html(doc: Document, identity: Identity, docx_name: str, config: Config, cache: Cache) -> tuple[str, list[Note]]:
    """The whole document as one HTML file through the template in plantillas/, and its notes (see the module)."""
    meta = pdf_meta(doc, identity, docx_name)
    meta["estilo-pagina"] = meta_string(load_spec(config.templates_dir).page_css())
    version = doc.api_version
    template = config.templates_dir / "plantilla.html"
    full = [*HTML_ARGS, "--standalone", f"--template={template}", "--toc", "--toc-depth=3"]
    # Pieces go through a template too, one of only the body: a template lays its text out anew (a space that
    # starts a line after a <br /> is dropped), and the pieces must come out as they do inside the real one.
    body_only = cache.root / HTML_NAMESPACE / "cuerpo.html"
    if not body_only.is_file() or body_only.read_text(encoding="utf-8") != BODY_TEMPLATE:
        body_only.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(body_only, BODY_TEMPLATE.encode("utf-8"))
    alone = [*HTML_ARGS, "--standalone", f"--template={body_only}"]
    binary = Path(pandoc_path()).stat()

    def key(args: list[str], *parts: str) -> str:
        named = [a for a in args if not a.startswith("--template=")]  # a template counts by its text
        return Cache.key(str(binary.st_size), str(binary.st_mtime_ns), PIECES_VERSION, BODY_TEMPLATE, *named, *parts)

    def write(args: list[str], payload: bytes | None, name: str) -> str:
        if (found := cache.lookup(HTML_NAMESPACE, name, ".html")) is not None:
            return found.read_text(encoding="utf-8")
        assert payload is not None  # a piece is only left unprepared when its HTML is in the cache
        out = run_pandoc(args, input_bytes=payload, what="pandoc (HTML para el PDF)", urgent=True).stdout
        cache.store_bytes(HTML_NAMESPACE, name, ".html", out)
        return out.decode("utf-8")

    # Each piece: its cache key, its notes, its headings as the template wants them, and (unless cached) its JSON,
    # which goes to pandoc at once: pandoc writes a piece on the other core while this process prepares the next.
    # The template, which needs every piece's headings, goes last.
    notes: list[Note] = []
    outline: list[Element] = []
    surveys: list[_Survey] = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="html") as pool:
        pieces = []
        for piece in _pieces(doc.blocks):
            start = len(notes) + 1
            survey = _survey(doc, piece, start)
            surveys.append(survey)
            notes += survey.notes
            piece_key = key(alone, str(start), json.dumps(survey.images), dumps({"blocks": piece}).decode("utf-8"))
            cached = cache.lookup(HTML_NAMESPACE, piece_key, ".html") is not None
            if cached and not survey.noted_heading:  # not copied: its headings alone, as the template wants them
                headings: list[Element] = json.loads(json.dumps(_headings_only(piece)))
                walk(headings, lambda el: doc.point_image(el, "pdf"))
                walk(headings, _described_images)
                payload = None
            else:
                copy, _ = _prepared(doc, piece, start)
                headings = _headings_only(copy)
                payload = None if cached else dumps({"pandoc-api-version": version, "meta": {}, "blocks": copy})
                del copy
            outline += headings
            pieces.append(pool.submit(write, alone, payload, piece_key))
            del payload
        skeleton_doc = {"pandoc-api-version": version, "meta": meta, "blocks": outline}
        heads_doc = {"pandoc-api-version": version, "meta": {}, "blocks": outline}
        skeleton_job = pool.submit(write, full, dumps(skeleton_doc),
                                   key(full, template.read_text(encoding="utf-8"), dumps(skeleton_doc).decode("utf-8")))
        heads_job = pool.submit(write, alone, dumps(heads_doc), key(alone, dumps(heads_doc).decode("utf-8")))
        skeleton, heads, body = skeleton_job.result(), heads_job.result(), [job.result() for job in pieces]
    if skeleton.count(heads) != 1:
        ast, notes = pdf_ast(doc, identity, docx_name)
        ast["meta"] = meta
        return run_pandoc(full, input_bytes=dumps(ast), what="pandoc (HTML para el PDF)", urgent=True).stdout.decode(), notes
    # pandoc names a highlighted code block without an identifier by the count of such blocks so far (cb3, and
    # its lines cb3-1...): each piece counted from 1, so its names move on by the blocks of the pieces before it.
    offset, written = 0, []
    for survey, html in zip(surveys, body):
        written.append(_renumber_code(html, offset) if offset else html)
        offset += survey.unnamed_code
    return skeleton.replace(heads, "\n".join(piece.removesuffix("\n") for piece in written) + "\n"), notes


_CODE_DIV = re.compile(r'<div class="sourceCode" id="cb(\d+)"[^>]*>.*?</code></pre></div>', re.DOTALL)
_CODE_NAME = re.compile(r'(id="|href="#)cb(\d+)(?=[-"])')


def _renumber_code(html: str, offset: int) -> str:
    """A piece's highlighted code blocks named as in the whole document: cbN becomes cb(N + offset)."""
    return _CODE_DIV.sub(lambda m: _CODE_NAME.sub(lambda n: f"{n.group(1)}cb{int(n.group(2)) + offset}", m.group(0)),
                         html)
