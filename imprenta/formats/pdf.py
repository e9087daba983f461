"""PDF output: pandoc writes HTML with the template from plantillas/, WeasyPrint lays it out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..config import Config
from ..document import Document
from ..errors import Location, Problems, ToolError
from ..pandocast import dumps
from ..tools import pandoc_path, run_tool

log = logging.getLogger(__name__)


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


def to_html(doc: Document, config: Config) -> str:
    """The whole document as one HTML file, through the template in plantillas/."""
    result = run_tool(
        [
            pandoc_path(),
            "--from", "json",
            "--to", "html5",
            "--standalone",
            f"--template={config.templates_dir / 'plantilla.html'}",
            "--wrap=none",
            "--toc",
            "--toc-depth=3",
            "--section-divs",
        ],
        input_bytes=dumps(doc.ast_for("pdf")),
        what="pandoc (HTML para el PDF)",
    )
    return result.stdout.decode("utf-8")


class PdfFormat:
    """The printable edition."""

    name = "pdf"
    suffix = ".pdf"
    accepts = frozenset({"png", "jpeg", "gif", "svg"})

    def render(self, doc: Document, config: Config, dest: Path, problems: Problems) -> dict[str, object]:
        import weasyprint

        html = to_html(doc, config)
        base = config.templates_dir.as_uri() + "/"
        with _weasyprint_warnings() as caught:
            rendered = weasyprint.HTML(string=html, base_url=base).render()
            rendered.write_pdf(dest)
        css = Location(config.templates_dir / "estilo.css", 1)
        for record in caught.records:
            message = record.getMessage()
            if "Failed to load" in message:
                raise ToolError(["weasyprint"], None, message, f"WeasyPrint no pudo cargar un recurso: {message}")
            line = re.search(r"at (\d+):\d+", message)
            problems.warning(
                Location(css.path, int(line.group(1))) if line else css,
                f"WeasyPrint: {message}",
                "pdf.aviso",
                "revise la hoja de estilo de plantillas/",
            )
        return {"páginas": len(rendered.pages)}
