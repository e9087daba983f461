"""PDF output: pandoc writes HTML with the template from plantillas/, WeasyPrint lays it out as PDF/A-3b.

The layout, which is most of the work, is split where the template forces a new page (each H1 of the
body): the chunks are laid out side by side in worker processes, each cached by the hash of its HTML, and
merged into one PDF (see chunks.py, layout.py and merge.py). Page numbers that a chunk prints (contents,
cross-references) come from the other chunks' layouts, filled in until they no longer change; the
"Página X de Y" furniture is laid out once the total is known and laid over the pages. A short document
is laid out whole, in this process: there, starting workers and merging would cost more than they save.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import os
import re
from collections.abc import Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, replace
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

from ...cache import Cache, file_digest
from ...config import Config
from ...document import Document, image_url
from ...errors import LayoutError, Location, Problems
from ...identity import Identity, sources_zip
from ...progress import counting
from ...tools import PANDOC_TURNS, die_with_parent
from ..docx import DocxFormat
from .chunks import Chunk, css_string, split, with_style
from .layout import BODY, FURNITURE, WHOLE, Job, Laid, lay_out
from .merge import Attachment, finish, merge
from .notes import Note
from .pieces import SOURCES_ATTACHMENT, pdf_html

log = logging.getLogger(__name__)

# Rounds of filling page numbers in and laying out again the chunks whose numbers changed.
MAX_ROUNDS = 6
# Below this much Markdown (about 20 pages), worker processes cost more to start than they save; nor do
# they pay when one file holds more than this share of the text.
POOL_THRESHOLD = 60_000
MAX_SHARE = 0.6
# IMPRENTA_PROCESOS=N lays out in chunks in N processes (1: in this one); unset, see _processes().
PROCESSES_VARIABLE = "IMPRENTA_PROCESOS"
# Part of every layout's cache key: bump when the HTML handed to WeasyPrint or the chunk files change shape.
LAYOUT_VERSION = "2"  # 2: PDF/A-3a


class PdfFormat:
    """The printable, archivable edition: PDF/A-3b, tagged, carrying its sources and its DOCX."""

    name = "pdf"
    suffix = ".pdf"
    accepts = frozenset({"png", "jpeg", "gif", "svg"})
    needs = ("docx",)  # the DOCX is attached to the PDF, so it is rendered first
    urgent = True  # its layout waits for its HTML: the others' preparation waits for it (see PandocTurns)
    templates = ("plantilla.html", "estilo.css", "estilos-docx.toml")

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        # The workers' fork server starts now, while pandoc writes the HTML (seconds, for a long document).
        with _Layouts(config, dest.parent, [len(s.text) for s in doc.sources]) as layouts:
            # The DOCX renders alongside; its name is known now, its file is only waited for when attached. It waits
            # while this format writes its HTML (the layout waits for the HTML; the DOCX only at the end): its
            # preparation would compete for this process, and two whole-document pandoc processes never run at once.
            with PANDOC_TURNS.urgent():
                html, notes = pdf_html(doc, identity, f"{doc.name}{DocxFormat.suffix}", config, Cache(config.cache_dir))
            facts: dict[str, object] = {}
            if not layouts.split:  # a short document: one layout, where splitting would only add work
                whole = Job(html, WHOLE, config.templates_dir.as_uri() + "/", str(config.templates_dir),
                            _images(doc), tuple(range(1, len(notes) + 1)))
                path, laid, _ = layouts.run([whole], f"maquetando {dest.name}")[0]
                laid_out, offsets = [laid], [0]

                def publish(attachments: list[Attachment]) -> int:
                    return finish(path, dest, attachments)
            else:
                chunks = split(html)
                laid_out, offsets, paths, furniture, laid_now = self._lay_out(chunks, doc, config, layouts, dest.name)
                facts["partes maquetadas"] = f"{laid_now} de {len(chunks)}"

                def publish(attachments: list[Attachment]) -> int:
                    return merge(paths[0], paths[1:], furniture, dest, attachments)
        self._report_notes(laid_out, offsets, notes, problems)
        self._report(sorted({w for laid in laid_out for w in laid.warnings}), config, problems)
        attachments = self._attachments(doc, identity, inputs["docx"])
        if len(laid_out) > 1:
            log.info("      uniendo %s: %d trozos, el pie de página y los adjuntos", dest.name, len(laid_out))
        else:
            log.info("      terminando %s: los adjuntos", dest.name)
        return {"páginas": publish(attachments), **facts}

    @staticmethod
    def _lay_out(
        chunks: list[Chunk], doc: Document, config: Config, layouts: _Layouts, name: str
    ) -> tuple[list[Laid], list[int], list[Path], Path, int]:
        """Lay out every chunk until the page numbers they print are the pages laid out, then the furniture.
        Returns each chunk's facts, first page and PDF, the furniture's PDF, and how many chunks were laid out now
        (not taken from the cache)."""
        cover = chunks[0]
        images = _images(doc)
        base, templates = config.templates_dir.as_uri() + "/", str(config.templates_dir)

        def job(chunk: Chunk, pages: dict[str, int], style: str = "") -> Job:
            html = chunk.with_pages(pages)
            # A chunk laid out again for its page numbers keeps from the start the paragraphs its last layout had
            # to keep with their notes.
            kept = tuple(done[chunk.index][2].kept) if chunk.index in done else ()
            # The cover reports the running strings it sets (the document's title in the header): every other
            # chunk starts from them, and from the footnote number where the previous one ended.
            return Job(with_style(html, style) if style else html, BODY, base, templates, images, chunk.notes,
                       strings=chunk is cover, kept=kept)

        done: dict[int | str, tuple[Job, Path, Laid]] = {}

        first = job(cover, {})
        path, laid, fresh = layouts.run([first], f"maquetando {name} (portada)")[0]
        done[0] = (first, path, laid)
        laid_now: set[int | str] = {0} if fresh else set()  # chunks laid out by this build, not cached
        entry = ", ".join(f"{n} {css_string(t)}" for n, t in laid.strings.items())

        def body_job(chunk: Chunk, pages: dict[str, int]) -> Job:
            style = f"body {{ counter-reset: footnote {chunk.notes[0] - 1 if chunk.notes else 0};"
            return job(chunk, pages, style + (f" string-set: {entry}; }}" if entry else " }"))

        pages: dict[str, int] = {}  # the page of each anchor in the whole document, as far as known
        offsets = [0]
        for _ in range(MAX_ROUNDS):
            wanted: dict[int | str, Job] = {0: job(cover, pages)} | {c.index: body_job(c, pages) for c in chunks[1:]}
            if len(done) > len(chunks) - 1:  # every chunk laid out once: the furniture goes with this round
                names = [n for i in range(len(chunks)) for n in done[i][2].names]
                wanted[FURNITURE] = _furniture_job(cover, names, base, templates)
            # The notes kept from the start do not make a chunk new: only its text and page numbers do.
            todo = [i for i, j in wanted.items() if i not in done or replace(done[i][0], kept=()) != replace(j, kept=())]
            if not todo:
                break
            label = f"maquetando {name}" + (" de nuevo (números de página)" if FURNITURE in wanted else "")
            for i, (path, laid, fresh) in zip(todo, layouts.run([wanted[i] for i in todo], label)):
                done[i] = (wanted[i], path, laid)
                if fresh and i != FURNITURE:
                    laid_now.add(i)
            pages, offsets = _page_numbers([done[i][2] for i in range(len(chunks))])
        else:
            raise LayoutError("los números de página no se estabilizan",
                              "compruebe las referencias cruzadas del documento")
        order = range(len(chunks))
        return [done[i][2] for i in order], offsets, [done[i][1] for i in order], done[FURNITURE][1], len(laid_now)

    @staticmethod
    def _attachments(doc: Document, identity: Identity, docx: Path) -> list[Attachment]:
        """The sources (zip) and the DOCX, as PDF/A-3 associated files dated from the metadata, not the clock."""
        stamp = doc.meta.stamp
        return [
            Attachment(SOURCES_ATTACHMENT, sources_zip(identity, stamp), "Fuentes Markdown e imágenes de este documento",
                       "Source", "application/zip", stamp),
            Attachment(docx.name, docx.read_bytes(), "Edición editable (DOCX) de este documento", "Alternative",
                       "application/vnd.openxmlformats-officedocument.wordprocessingml.document", stamp),
        ]

    @staticmethod
    def _report_notes(laid_out: list[Laid], offsets: list[int], notes: list[Note], problems: Problems) -> None:
        """Notes the layout could not bring back to their call's page, with pages counted in the whole PDF."""
        misplaced = {
            number: tuple(None if page is None else offset + page for page in pages)
            for laid, offset in zip(laid_out, offsets)
            for number, pages in laid.misplaced.items()
        }
        for number, (call_page, text_page) in sorted(misplaced.items()):
            note = notes[number - 1]
            where = Location(note.source.path, note.line)
            if text_page is None:
                problems.error(
                    where,
                    f"la nota {number} («{note.text[:50]}») no aparece en el PDF",
                    "nota.perdida",
                    "acorte la nota o el párrafo que la llama; WeasyPrint no pudo colocarla",
                )
            else:
                problems.warning(
                    where,
                    f"la nota {number} quedó en la página {text_page}, lejos de su llamada (página {call_page})",
                    "nota.lejos",
                    "acorte la nota, o divida el párrafo que la llama",
                )

    @staticmethod
    def _report(messages: list[str], config: Config, problems: Problems) -> None:
        css = Location(config.templates_dir / "estilo.css", 1)
        for message in messages:
            if "Failed to load" in message:
                raise LayoutError(f"WeasyPrint no pudo cargar un recurso: {message}",
                                  "compruebe que el archivo exista en plantillas/ o entre las imágenes del documento")
            if "has no required alt description" in message:
                continue  # already reported by the assembler, with the image's file and line [imagen.sin-alt]
            line = re.search(r"at (\d+):\d+", message)
            problems.warning(
                Location(css.path, int(line.group(1))) if line else css,
                f"WeasyPrint: {message}",
                "pdf.aviso",
                "revise la hoja de estilo de plantillas/",
            )


def _images(doc: Document) -> tuple[tuple[str, str], ...]:
    """The images the PDF may load: content URL and file of each one's PDF variant."""
    return tuple(sorted((image_url(i.variants["pdf"].path), str(i.variants["pdf"].path))
                        for i in doc.images if "pdf" in i.variants))


def _page_numbers(laid_out: list[Laid]) -> tuple[dict[str, int], list[int]]:
    """Each anchor's page in the whole document (from 1), and where each chunk starts (pages before it)."""
    pages: dict[str, int] = {}
    offsets = []
    offset = 0
    for laid in laid_out:
        offsets.append(offset)
        for anchor, page in laid.anchors.items():
            pages.setdefault(anchor, offset + page + 1)
        offset += laid.pages
    return pages, offsets


def _furniture_job(cover: Chunk, names: list[str], base: str, templates_dir: str) -> Job:
    """Empty pages, one per page of the document and with its @page name, that print only the furniture."""
    head = cover.html[: cover.html.index("<body")]
    body_tag = cover.html[cover.html.index("<body") : cover.html.index(">", cover.html.index("<body")) + 1]
    style = ("@page { background: none !important; border: none !important; }"
             " html, body { background: none !important; }"
             " .imprenta-pagina { break-after: page; } .imprenta-pagina:last-child { break-after: auto; }")
    pages = "".join(f'<div class="imprenta-pagina" style="page: {name or "auto"}"></div>' for name in names)
    return Job(with_style(f"{head}{body_tag}{pages}</body></html>", style), FURNITURE, base, templates_dir, ())


def _templates_digest(config: Config) -> str:
    """One hash of every file of plantillas/ (style sheet, fonts, images): each layout depends on them."""
    h = hashlib.sha256()
    for path in sorted(config.template_files()):
        h.update(path.relative_to(config.templates_dir).as_posix().encode("utf-8") + b"\0" + file_digest(path).encode())
    return h.hexdigest()


def _context() -> Any:
    """Workers fork from a server that has imported WeasyPrint once (a second or two), not each on its own, and
    then frozen what it imported (gc.freeze). The server imports this same checkout of Imprenta, the one build.py
    runs from, not whichever one the virtual environment was installed from: Python 3.11's fork server ignores
    the parent's sys.path, so the checkout goes first on its PYTHONPATH."""
    checkout = str(Path(__file__).resolve().parents[3])
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if paths[0] != checkout:
        os.environ["PYTHONPATH"] = os.pathsep.join([checkout, *[p for p in paths if p]])
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["imprenta.formats.pdf.layout", "weasyprint", "imprenta.formats.pdf.frozen"])
    return context


def _processes(source_sizes: list[int]) -> int:
    """How many worker processes lay out the chunks; 0: laid out whole in this process, because the document
    is short or one file holds most of it (its chunk would take as long as the whole document)."""
    wanted = os.environ.get(PROCESSES_VARIABLE, "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    total = sum(source_sizes)
    if total < POOL_THRESHOLD or max(source_sizes) > MAX_SHARE * total:
        return 0
    return max(1, os.cpu_count() or 1)


class _Layouts:
    """Runs layout jobs: from the cache when their inputs were laid out before, else in worker processes."""

    NAMESPACE = "maquetas"

    def __init__(self, config: Config, scratch: Path, source_sizes: list[int]) -> None:
        self.cache = Cache(config.cache_dir)
        self.scratch = scratch
        # WeasyPrint's version from its metadata: importing it here would cost this process half a second.
        self.salt = "\x1f".join([LAYOUT_VERSION, package_version("weasyprint"), _templates_digest(config)])
        self.processes = _processes(source_sizes)
        self.split = self.processes > 0
        self.pool: Executor | None = None

    def __enter__(self) -> _Layouts:
        if self.processes > 1:
            context = _context()
            # A worker ends after each chunk: the memory of a layout goes back to the system, not to its heap.
            # Each worker dies with the fork server, which ends with this process: no layout outlives its build.
            self.pool = ProcessPoolExecutor(max_workers=self.processes, mp_context=context, max_tasks_per_child=1,
                                            initializer=die_with_parent)
            from multiprocessing import forkserver

            forkserver.ensure_running()  # the server imports WeasyPrint now, while pandoc writes the HTML
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self.pool is None:
            return
        if kind is not None:  # interrupted or failed: the chunks still being laid out are not waited for
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.kill()
            self.pool.shutdown(wait=False, cancel_futures=True)
        else:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def _key(self, job: Job) -> str:
        return Cache.key(self.salt, json.dumps(asdict(job), sort_keys=True, ensure_ascii=False))

    def run(self, jobs: list[Job], label: str) -> list[tuple[Path, Laid, bool]]:
        """Each job's PDF, layout facts and whether it was laid out now (not cached), in the order given."""
        results: dict[int, tuple[Path, Laid, bool]] = {}
        pending: dict[int, tuple[str, Path, Future[Laid] | None]] = {}
        for index, job in enumerate(jobs):
            key = self._key(job)
            pdf, facts = self.cache.lookup(self.NAMESPACE, key, ".pdf"), self.cache.lookup(self.NAMESPACE, key, ".json")
            if pdf is not None and facts is not None:
                results[index] = (pdf, _laid_from_json(facts.read_text(encoding="utf-8")), False)
            else:
                pending[index] = (key, self.scratch / f"{key}.pdf", None)
        if self.pool is not None:
            # Longest first, so that no worker is left with a long chunk at the end while the other waits.
            for index in sorted(pending, key=lambda i: -len(jobs[i].html)):
                key, dest, _ = pending[index]
                pending[index] = (key, dest, self.pool.submit(lay_out, jobs[index], str(dest)))
        with counting(label, len(pending)) as tick:

            def finish(index: int, laid: Laid) -> None:
                key, dest, _ = pending[index]
                self.cache.store_bytes(self.NAMESPACE, key, ".json", json.dumps(asdict(laid)).encode("utf-8"))
                results[index] = (self.cache.store(self.NAMESPACE, key, ".pdf", dest), laid, True)
                tick(laid.pages)

            futures = {future: index for index, (_, _, future) in pending.items() if future is not None}
            for index, (_, dest, future) in pending.items():
                if future is None:
                    finish(index, lay_out(jobs[index], str(dest)))
            try:
                for future in as_completed(futures):
                    finish(futures[future], future.result())
            except BrokenProcessPool as exc:
                raise LayoutError(
                    "un proceso de maquetación del PDF terminó de repente (¿falta de memoria?)",
                    f"vuelva a compilar con menos procesos: {PROCESSES_VARIABLE}=1 python build.py",
                ) from exc
        return [results[i] for i in range(len(jobs))]


def _laid_from_json(text: str) -> Laid:
    data = json.loads(text)
    data["misplaced"] = {int(k): tuple(v) for k, v in data["misplaced"].items()}
    return Laid(**data)
