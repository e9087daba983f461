"""DOCX output: pandoc with the reference document from plantillas/."""

from __future__ import annotations

from pathlib import Path

from ..config import Config
from ..document import Document
from ..errors import Problems
from ..pandocast import dumps
from ..tools import pandoc_path, run_tool


class DocxFormat:
    """The editable copy that entities annotate."""

    name = "docx"
    suffix = ".docx"
    # Word and LibreOffice take metafiles natively: they get the original, sized from its header.
    # SVG is not taken: pandoc embeds it without a PNG fallback and LibreOffice then draws nothing.
    accepts = frozenset({"png", "jpeg", "gif", "wmf", "emf"})

    def render(self, doc: Document, config: Config, dest: Path, problems: Problems) -> dict[str, object]:
        run_tool(
            [
                pandoc_path(),
                "--from", "json",
                "--to", "docx",
                f"--reference-doc={config.templates_dir / 'referencia.docx'}",
                "--toc",
                "--toc-depth=3",
                "--output", str(dest),
            ],
            input_bytes=dumps(doc.ast_for("docx")),
            what="pandoc (DOCX)",
        )
        return {}
