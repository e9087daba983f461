"""WeasyPrint layout of one chunk of the PDF, in whichever process runs it: its pages, anchors and PDF.

A job carries everything as plain data (HTML text, paths), so it can run in a worker process, and its
result is cached by the hash of exactly those inputs. Two kinds of job:

- `cuerpo`: a chunk of the document. Margin boxes that print page counters are left out (the chunks do
  not know where they start); `target-counter(attr(href url), page)` prints the link's `data-pagina`,
  the page number filled in from the other chunks. Footnotes strayed from their call are repaired here.
- `pie`: the page furniture that needs those counters ("Página X de Y"), on empty pages, one per page of
  the whole document, later laid over it.
- `entero`: a short document in one piece, with the template as it is.
"""

from __future__ import annotations

import gc
import logging
import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.request import url2pathname

from ...document import IMAGE_URL_SCHEME
from .chunks import keep_whole
from .cuts import boxes, find_cut, string_sets

MIME_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif", ".svg": "image/svg+xml"}
VARIANT = "pdf/a-3a"  # tagged, level A; PDF/UA-1 is added on the finished file (accessibility.py)
# Layout passes to bring every footnote back to its call's page; each pass keeps more paragraphs whole.
MAX_NOTE_PASSES = 6
BODY, FURNITURE, WHOLE = "cuerpo", "pie", "entero"

_MARGIN_RULE = re.compile(r"(@(?:top|bottom|left|right)-[a-z-]+\s*\{)([^{}]*)\}")
_CONTENT = re.compile(r"(?<![-\w])content\s*:\s*[^;{}]*")
_COUNTERS = re.compile(r"counter\(\s*pages?\s*\)")
_TARGET_PAGE = re.compile(r"target-counter\(\s*attr\(\s*href(?:\s+url)?\s*\)\s*,\s*page\s*\)")


def rewrite_css(text: str, mode: str) -> str:
    """The template's style sheet for one kind of job (see the module's docstring)."""

    if mode == WHOLE:
        return text

    def margin(m: re.Match[str]) -> str:
        declarations = m.group(2)
        content = _CONTENT.search(declarations)
        counted = bool(content and _COUNTERS.search(content.group(0)))
        if content and (counted if mode == BODY else not counted):
            declarations = declarations[: content.start()] + "content: none" + declarations[content.end() :]
        return m.group(1) + declarations + "}"

    text = _MARGIN_RULE.sub(margin, text)
    return _TARGET_PAGE.sub("attr(data-pagina)", text) if mode == BODY else text


@dataclass(frozen=True)
class Job:
    """One layout: plain data only, so that it crosses to a worker process and hashes into a cache key."""

    html: str
    mode: str
    base_url: str
    templates_dir: str
    images: tuple[tuple[str, str], ...]  # content URL -> file
    notes: tuple[int, ...] = ()
    strings: bool = False  # report the running strings (string-set) in effect after the last page
    # Notes whose calling paragraph is kept with them from the first pass: those an earlier layout of the same
    # chunk in this build had to keep (the page numbers it prints changed, not its text), so it is not repaired
    # pass by pass again.
    kept: tuple[int, ...] = ()


@dataclass
class Laid:
    """What a layout produced, besides its PDF."""

    pages: int
    names: list[str]  # the @page name of each page ("" for the default page)
    anchors: dict[str, int]  # id -> 0-based page
    misplaced: dict[int, tuple[int | None, int | None]]  # note -> (call page, text page), 1-based in the chunk
    warnings: list[str]
    strings: dict[str, str] = field(default_factory=dict)
    passes: int = 1
    seconds: float = 0.0
    kept: list[int] = field(default_factory=list)  # notes whose paragraph the layout kept with them
    laid: int = 0  # pages laid out over all passes (the pages kept from a pass before a cut count once)


class _Collect(logging.Handler):
    """Keeps WeasyPrint's warnings so that they are reported as problems, not lost in the log."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _fetcher(job: Job) -> Any:
    """WeasyPrint's resource loader limited to the document's images (by content URL) and plantillas/."""
    import weasyprint

    images = dict(job.images)
    templates = Path(job.templates_dir).resolve()

    class Fetcher(weasyprint.URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(IMAGE_URL_SCHEME):
                if url not in images:
                    raise ValueError(f"imagen desconocida: {url}")
                path = Path(images[url])
                meta = EmailMessage()
                meta["Content-Type"] = MIME_TYPES.get(path.suffix.lower(), "application/octet-stream")
                return weasyprint.urls.URLFetcherResponse(url, path.read_bytes(), meta)
            if url.startswith("file:"):
                path = Path(url2pathname(url.split("?")[0].removeprefix("file:"))).resolve()
                if not path.is_relative_to(templates):
                    raise ValueError(f"archivo fuera de plantillas/: {path}")
                if path.suffix.lower() == ".css":
                    meta = EmailMessage()
                    meta["Content-Type"] = "text/css; charset=utf-8"
                    css = rewrite_css(path.read_text(encoding="utf-8"), job.mode)
                    return weasyprint.urls.URLFetcherResponse(url, css.encode("utf-8"), meta)
                return super().fetch(url, headers)
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"un documento oficial no descarga nada: {url}")

    return Fetcher()


def _note_number(element: Any) -> int | None:
    ident = element.get("id", "") if element is not None else ""
    return int(ident[5:]) if ident.startswith("nota-") and ident[5:].isdigit() else None


def _survey(rendered: Any, notes: tuple[int, ...], strings: bool) -> tuple[dict[int, tuple[int | None, int | None]], dict[str, str]]:
    """Notes not on the page of their call, and (if asked) the last value of each running string."""
    calls: dict[int, int] = {}
    bodies: dict[int, int] = {}
    last: dict[str, str] = {}
    for page_number, page in enumerate(rendered.pages, start=1):
        for box in boxes(page._page_box):
            if getattr(box, "footnote", None) is not None and (n := _note_number(box.footnote.element)) is not None:
                calls.setdefault(n, page_number)
            elif type(box).__name__ == "FootnoteAreaBox":
                for body in box.children:
                    if (n := _note_number(getattr(body, "element", None))) is not None:
                        bodies.setdefault(n, page_number)
            if strings:
                last.update(string_sets(box))
    placed = {n: (calls.get(n), bodies.get(n)) for n in notes}
    return {n: pages for n, pages in placed.items() if pages[0] is None or pages[0] != pages[1]}, last


def lay_out(job: Job, dest: str) -> Laid:
    """Lay out a job, repairing strayed footnotes, and write its PDF to `dest`."""
    import weasyprint

    started = time.monotonic()
    logger = logging.getLogger("weasyprint")
    caught = _Collect()
    logger.addHandler(caught)
    previous, logger.propagate = logger.propagate, False
    level = logger.level
    logger.setLevel(logging.WARNING)  # the command line quiets WeasyPrint's log, not what is collected here
    try:
        html, tried, kept = job.html, set(job.kept), []
        for number in job.kept:
            if (hinted := keep_whole(html, number)) is not None:
                html = hinted
                kept.append(number)
        fetcher = _fetcher(job)
        notes = job.notes
        settled: list[Any] = []  # pages kept from earlier passes, before the page a pass cut the chunk at (cuts.py)
        alive: list[Any] = []  # their documents, alive until the pages are written (they hold the fonts)
        laid = 0
        for attempt in range(1, MAX_NOTE_PASSES + 1):  # noqa: B007 - the passes made are reported
            rendered = None
            gc.collect()  # let the previous pass's layout go before the next one is built
            rendered = weasyprint.HTML(string=html, base_url=job.base_url, url_fetcher=fetcher).render(
                pdf_tags=job.mode != FURNITURE
            )
            laid += len(rendered.pages)
            misplaced, strings = _survey(rendered, notes, job.strings)
            # On each page the first strayed note usually drags the page's later ones along: fix the first of
            # every page at once (pages are independent), so a long chunk needs few passes, not one per page.
            firsts: dict[int | None, int] = {}
            for number in sorted(set(misplaced) - tried):
                firsts.setdefault(misplaced[number][0], number)
            now: list[int] = []
            for number in firsts.values():
                tried.add(number)
                if (whole := keep_whole(html, number)) is not None:
                    html = whole
                    now.append(number)
            if not now:
                break
            kept += now
            # The pages before the first paragraph kept now stay as they are (a chunk of the body only: the others
            # print page counters, which a piece laid out alone would restart), unless no pass is left to lay out
            # the rest.
            if job.mode == BODY and attempt < MAX_NOTE_PASSES and \
                    (cut := find_cut(rendered, html, now, misplaced, notes)) is not None:
                settled += rendered.pages[: cut.page - 1]
                alive.append(rendered)
                html, notes = cut.html, cut.notes
        assert rendered is not None
        if settled:
            offset = len(settled)
            misplaced = {n: (None if a is None else a + offset, None if b is None else b + offset)
                         for n, (a, b) in misplaced.items()}
            rendered = rendered.copy(settled + rendered.pages)
        anchors: dict[str, int] = {}
        for index, page in enumerate(rendered.pages):
            for name in page.anchors:
                anchors.setdefault(name, index)
        names = [page._page_box.page_type.name or "" for page in rendered.pages]
        rendered.write_pdf(dest, pdf_variant=VARIANT, pdf_tags=job.mode != FURNITURE)
        return Laid(len(rendered.pages), names, anchors, misplaced, caught.messages, strings, attempt,
                    time.monotonic() - started, sorted(kept), laid)
    finally:
        logger.removeHandler(caught)
        logger.propagate = previous
        logger.setLevel(level)
