"""PDF output: pandoc writes HTML with the template from plantillas/, WeasyPrint lays it out as PDF/A-3b."""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

from ..config import Config
from ..document import IMAGE_URL_SCHEME, Document, image_url
from ..errors import Location, Problems, ToolError
from ..identity import Identity, identify, sources_zip
from ..pandocast import Element, dumps, meta_string
from ..tools import pandoc_path, run_tool
from ..progress import layout_pages
from .docx import DocxFormat
from .notes import Note, inline_notes, misplaced_notes

log = logging.getLogger(__name__)

SOURCES_ATTACHMENT = "fuentes.zip"
VARIANT = "pdf/a-3b"
MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
# Layout passes to bring every footnote back to its call's page; each pass keeps more paragraphs whole.
MAX_NOTE_PASSES = 6


class _Collect(logging.Handler):
    """Keeps WeasyPrint's warnings so that they are reported as problems, not lost in the log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@contextmanager
def _weasyprint_warnings() -> Iterator[_Collect]:
    logger = logging.getLogger("weasyprint")
    handler = _Collect()
    previous = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = previous


def _float_list(doc: Document, kind: str) -> Element | None:
    """The list of figures or of tables as metadata blocks: one link per entry (the page comes from CSS)."""
    items = [
        [{"t": "Plain", "c": [{"t": "Link", "c": [["", [], []], [{"t": "Str", "c": f.title}], [f"#{f.anchor}", ""]]}]}]
        for f in doc.floats
        if f.kind == kind
    ]
    return {"t": "MetaBlocks", "c": [{"t": "BulletList", "c": items}]} if items else None


def pdf_ast(
    doc: Document, identity: Identity, docx_name: str, keep: frozenset[int] = frozenset()
) -> tuple[dict[str, Any], list[Note]]:
    """The document as the HTML template wants it: notes inline, lists of floats and the build identity in meta."""
    ast = doc.ast_for("pdf")
    notes = inline_notes(doc, ast["blocks"], keep)
    meta = ast["meta"]
    for key, kind in (("lista-figuras", "figura"), ("lista-tablas", "tabla")):
        if (entries := _float_list(doc, kind)) is not None:
            meta[key] = entries
    meta["revision"] = meta_string(identity.revision)
    meta["huella"] = meta_string(identity.digest)
    meta["adjunto-fuentes"] = meta_string(SOURCES_ATTACHMENT)
    meta["adjunto-docx"] = meta_string(docx_name)
    return ast, notes


def to_html(ast: dict[str, Any], config: Config) -> str:
    """The whole document as one HTML file, through the template in plantillas/."""
    result = run_tool(
        [
            pandoc_path(),
            "--sandbox",  # the writer reads nothing but the template named here
            "--from", "json",
            "--to", "html5",
            "--standalone",
            f"--template={config.templates_dir / 'plantilla.html'}",
            "--wrap=none",  # a line break inside a source paragraph or note is a space, never a hard break
            "--toc",
            "--toc-depth=3",
            "--section-divs",
        ],
        input_bytes=dumps(ast),
        what="pandoc (HTML para el PDF)",
    )
    return result.stdout.decode("utf-8")


def _fetcher(doc: Document, config: Config) -> Any:
    """WeasyPrint's resource loader limited to the document's images (by content URL) and plantillas/."""
    import weasyprint

    images = {image_url(i.variants["pdf"].path): i.variants["pdf"].path for i in doc.images if "pdf" in i.variants}
    templates = config.templates_dir.resolve()

    class Fetcher(weasyprint.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(IMAGE_URL_SCHEME):
                if url not in images:
                    raise ValueError(f"imagen desconocida: {url}")
                meta = EmailMessage()
                meta["Content-Type"] = MIME_TYPES.get(images[url].suffix.lower(), "application/octet-stream")
                return weasyprint.urls.URLFetcherResponse(url, images[url].read_bytes(), meta)
            if url.startswith("file:"):
                path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if not path.is_relative_to(templates):
                    raise ValueError(f"archivo fuera de plantillas/: {path}")
                return super().fetch(url, headers)
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"un documento oficial no descarga nada: {url}")

    return Fetcher()


def _unique_associated_files(document: Any, pdf: Any) -> None:
    """WeasyPrint 70 lists each attachment twice in the catalog's /AF array; PDF/A wants each file once."""
    if "AF" in pdf.catalog:
        unique = list(dict.fromkeys(pdf.catalog["AF"]))  # references are bytes such as b"129 0 R"
        pdf.catalog["AF"][:] = unique


class PdfFormat:
    """The printable, archivable edition: PDF/A-3b, tagged, carrying its sources and its DOCX."""

    name = "pdf"
    suffix = ".pdf"
    accepts = frozenset({"png", "jpeg", "gif", "svg"})
    needs = ("docx",)  # the DOCX is attached to the PDF, so it is rendered first

    def render(
        self, doc: Document, config: Config, dest: Path, problems: Problems, inputs: Mapping[str, Path]
    ) -> dict[str, object]:
        import weasyprint

        identity = identify(doc)
        # The DOCX renders alongside; its name is known now, its file is only waited for when attached.
        docx_name = f"{doc.name}{DocxFormat.suffix}"
        base = config.templates_dir.as_uri() + "/"
        keep: frozenset[int] = frozenset()
        fetcher = _fetcher(doc, config)
        with _weasyprint_warnings() as caught:
            for attempt in range(1, MAX_NOTE_PASSES + 1):
                ast, notes = pdf_ast(doc, identity, docx_name, keep)
                rendered = None  # let the previous pass's layout go before the next one is built
                gc.collect()
                with layout_pages(f"maquetando {dest.name}" + (f" (pasada {attempt})" if attempt > 1 else "")):
                    rendered = weasyprint.HTML(
                        string=to_html(ast, config), base_url=base, url_fetcher=fetcher
                    ).render(pdf_tags=True)
                misplaced = misplaced_notes(rendered, len(notes))
                untried = set(misplaced) - keep
                if not untried:  # every note is home, or keeping more paragraphs whole would change nothing
                    break
                log.info("      %d notas lejos de su llamada; se repite la maquetación (%d)", len(misplaced), attempt)
                # On each page, the first misplaced note usually drags the page's later ones along: fix the first
                # of every page at once (pages are independent), so a long document needs few passes, not one per page.
                firsts: dict[int | None, int] = {}
                for number in sorted(untried):
                    firsts.setdefault(misplaced[number][0], number)
                keep |= set(firsts.values())
            self._report_notes(misplaced, notes, problems)
            rendered.write_pdf(
                dest,
                pdf_variant=VARIANT,
                pdf_tags=True,
                attachments=self._attachments(doc, identity, inputs["docx"]),
                finisher=_unique_associated_files,
            )
        self._report(caught.records, config, problems)
        return {"páginas": len(rendered.pages)}

    @staticmethod
    def _attachments(doc: Document, identity: Identity, docx: Path) -> list[Any]:
        """The sources (zip) and the DOCX, as PDF/A-3 associated files dated from the metadata, not the clock."""
        import weasyprint

        stamp = doc.meta.stamp
        return [
            weasyprint.Attachment(
                string=sources_zip(identity, stamp),
                name=SOURCES_ATTACHMENT,
                description="Fuentes Markdown e imágenes de este documento",
                created=stamp,
                modified=stamp,
                relationship="Source",
            ),
            weasyprint.Attachment(
                string=docx.read_bytes(),
                name=docx.name,
                description="Edición editable (DOCX) de este documento",
                created=stamp,
                modified=stamp,
                relationship="Alternative",
            ),
        ]

    @staticmethod
    def _report_notes(misplaced: dict[int, tuple[int | None, int | None]], notes: list[Note], problems: Problems) -> None:
        for number, (call_page, text_page) in misplaced.items():
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
    def _report(records: list[logging.LogRecord], config: Config, problems: Problems) -> None:
        css = Location(config.templates_dir / "estilo.css", 1)
        for record in records:
            message = record.getMessage()
            if "Failed to load" in message:
                raise ToolError(["weasyprint"], None, message, f"WeasyPrint no pudo cargar un recurso: {message}")
            if "has no required alt description" in message:
                continue  # already reported by the assembler, with the image's file and line [imagen.sin-alt]
            line = re.search(r"at (\d+):\d+", message)
            problems.warning(
                Location(css.path, int(line.group(1))) if line else css,
                f"WeasyPrint: {message}",
                "pdf.aviso",
                "revise la hoja de estilo de plantillas/",
            )
