"""`--vigilar`'s preview: the web edition served on this computer, reloaded in the browser as soon as a part is saved.

The folder served is a copy of the last web edition (`.cache/vista-previa/`). When only parts change, each changed
part's page is rewritten there from that part alone (its file read and parsed, its images prepared, its HTML written
by pandoc), in well under a second even in a long document, and the browser reloads; the whole build (PDF, DOCX
and the web edition itself) runs behind it, and when it ends the copy is replaced by the new edition and the
browser reloads again. Until then the page is a preview: figures and tables of that part are numbered from 1.

Browsers hear of changes through Server-Sent Events (`/_imprenta/cambios`); the script that listens is added to
each page as it is served, never written into the files. Only 127.0.0.1 is listened on.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
import time
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from .config import Config
from .errors import ImprentaError, Problems
from .pandocast import Element, walk
from .publish import atomic_write

log = logging.getLogger(__name__)

PREFIX = "/_imprenta/"
EVENTS = PREFIX + "cambios"
SCRIPT = PREFIX + "recarga.js"
RELOAD_SCRIPT = """(function () {
  var events = new EventSource("EVENTS");
  var seen = null;
  events.onmessage = function (event) {
    if (seen !== null && event.data !== seen) { location.reload(); }
    seen = event.data;
  };
})();
""".replace("EVENTS", EVENTS)
HEARTBEAT = 15.0  # seconds between two comments on an idle event stream: a closed tab is noticed
PORTS_TRIED = 20  # the port asked for is busy (another preview): the next ones are tried
CONTENT_START = '<main id="contenido" tabindex="-1" data-pagefind-body>\n'
CONTENT_END = '\n<nav class="paginas"'


class _Changes:
    """A counter of the changes shown, that event streams wait on."""

    def __init__(self) -> None:
        self.version = 0
        self.changed = threading.Condition()

    def bump(self) -> None:
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        with self.changed:
            self.changed.wait_for(lambda: self.version != seen, timeout)
            return self.version


class _Handler(SimpleHTTPRequestHandler):
    """The folder's files, HTML with the reload script added; the event stream; never a cached page."""

    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        path = self.path.split("?", 1)[0]
        if path == EVENTS:
            return self._events()
        if path == SCRIPT:
            return self._send(RELOAD_SCRIPT.encode("utf-8"), "text/javascript; charset=utf-8")
        if path.endswith("/"):
            path += "index.html"
        if path.endswith(".html"):
            file = Path(self.translate_path(path))
            try:
                text = file.read_text(encoding="utf-8")
            except OSError:
                return self.send_error(HTTPStatus.NOT_FOUND, "página no encontrada")
            at = text.rfind("</body>")
            text = text[:at] + f'<script src="{SCRIPT}"></script>\n' + text[at:] if at >= 0 else text
            return self._send(text.encode("utf-8"), "text/html; charset=utf-8")
        return super().do_GET()

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def _send(self, body: bytes, kind: str) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        changes = self.server.changes
        seen = changes.version
        try:
            self.wfile.write(f"retry: 1000\ndata: {seen}\n\n".encode())
            self.wfile.flush()
            while not self.server.closing.is_set():
                now = changes.wait(seen, HEARTBEAT)
                self.wfile.write(f"data: {now}\n\n".encode() if now != seen else b": sigue\n\n")
                self.wfile.flush()
                seen = now
        except (BrokenPipeError, ConnectionResetError):
            pass  # the tab was closed

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - http.server's signature
        log.debug("vista previa: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    changes: _Changes
    closing: threading.Event


@dataclass
class PartPage:
    """Where a part's page is in the web edition, from its manifest (sitio.json)."""

    page: str
    anchor: str
    source: str  # the part's file, relative to the master's folder


class Preview:
    """The preview's folder, its server, and the page of a part rewritten from that part alone."""

    def __init__(self, config: Config, port: int) -> None:
        self.config = config
        self.folder = config.cache_dir / "vista-previa"
        self.changes = _Changes()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.server = self._listen(port)
        self.server.changes = self.changes
        self.server.closing = threading.Event()
        self.thread = threading.Thread(target=self.server.serve_forever, name="vista-previa", daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _listen(self, port: int) -> _Server:
        handler = partial(_Handler, directory=str(self.folder))
        for candidate in range(port, port + PORTS_TRIED) if port else (0,):
            try:
                return _Server(("127.0.0.1", candidate), handler)
            except OSError:
                continue
        raise ImprentaError(f"no hay un puerto libre entre {port} y {port + PORTS_TRIED - 1} para la vista previa",
                            "indique otro con --puerto, o 0 para que se elija uno libre")

    def close(self) -> None:
        self.server.closing.set()
        self.changes.bump()  # event streams waiting wake up and end
        self.server.shutdown()
        self.server.server_close()

    def published(self, edition: Path) -> None:
        """The whole build ended: the preview becomes a copy of its web edition, and browsers reload."""
        if not edition.is_dir():
            return
        incoming = self.folder.with_name("vista-previa.nueva")
        shutil.rmtree(incoming, ignore_errors=True)
        shutil.copytree(edition, incoming)
        outgoing = self.folder.with_name("vista-previa.anterior")
        shutil.rmtree(outgoing, ignore_errors=True)
        self.folder.rename(outgoing)
        incoming.rename(self.folder)
        shutil.rmtree(outgoing, ignore_errors=True)
        self.changes.bump()

    def pages_of(self, changed: list[Path], manifest: dict[str, Any]) -> list[PartPage] | None:
        """The page of each changed file, or None when a change is not a part alone on its page (the master,
        metadata, an image, a template, a part listing others): then only the whole build shows it."""
        parts = manifest.get("partes", {})
        found: list[PartPage] = []
        for path in changed:
            try:
                shown = path.resolve().relative_to(self.config.master.parent.resolve()).as_posix()
            except ValueError:
                return None
            entry = parts.get(shown)
            if entry is None or not entry["sola"]:
                return None
            found.append(PartPage(entry["pagina"], entry["ancla"], shown))
        return found or None

    def show_parts(self, changed: list[Path]) -> bool:
        """Rewrite the pages of the changed parts from those parts alone and reload the browsers; False when the
        change is not only parts (or a part cannot be read now: the whole build will say why)."""
        started = time.monotonic()
        try:
            manifest = json.loads((self.folder / "sitio.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False  # no edition shown yet
        pages = self.pages_of(changed, manifest)
        if pages is None:
            return False
        try:
            for part in pages:
                self._rewrite(part, manifest)
        except ImprentaError as exc:
            log.info("vista previa: no se pudo mostrar el cambio (%s); se verá con la compilación completa", exc.message)
            return False
        self.changes.bump()
        log.info("vista previa: %s actualizada en %.2f s", ", ".join(p.page for p in pages), time.monotonic() - started)
        return True

    def _rewrite(self, part: PartPage, manifest: dict[str, Any]) -> None:
        from .cache import Cache
        from .document import content_name
        from .formats import accepted_kinds
        from .formats.web import page_body
        from .images import prepare_images
        from .source.anchors import URL_SCHEME, normalize_anchor
        from .source.assemble import read_part

        problems = Problems(strict=False)
        path = self.config.master.parent / part.source
        doc = read_part(self.config, path, part.anchor, problems)
        prepare_images(doc, accepted_kinds(["html"]), self.config, Cache(self.config.cache_dir), problems)
        problems.stop_if_errors()
        for image in doc.images:
            if "html" in image.variants:
                variant = image.variants["html"].path
                target = self.folder / "img" / content_name(variant)
                if not target.exists():
                    shutil.copyfile(variant, target)
        ast = doc.ast_for("html")
        parts, where = manifest.get("partes", {}), manifest.get("anclas", {})
        master_dir = self.config.master.parent.resolve()

        def to_page(el: Element) -> None:
            """A link to another file, left as written when the part is read alone: to that part's page."""
            url = el["c"][2][0] if el["t"] == "Link" else ""
            if not url or url.startswith("#") or URL_SCHEME.match(url):
                return
            file, _, fragment = url.partition("#")
            try:
                shown = (path.parent / unquote(file)).resolve().relative_to(master_dir).as_posix()
            except ValueError:
                return
            if shown in parts:
                anchor = normalize_anchor(fragment) if fragment else ""
                el["c"][2][0] = f"#{anchor}" if anchor in where else parts[shown]["pagina"]

        walk(ast["blocks"], to_page)
        body = page_body(ast["blocks"], doc.api_version, part.page, where)
        page = self.folder / part.page
        text = page.read_text(encoding="utf-8")
        start, end = text.index(CONTENT_START) + len(CONTENT_START), text.index(CONTENT_END)
        atomic_write(page, (text[:start] + body + text[end:]).encode("utf-8"))
