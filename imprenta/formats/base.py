"""The small interface every output format implements, and the templates each one needs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from ..config import Config
from ..document import Document
from ..errors import Problems
from ..identity import Identity

# The templates each output needs from plantillas/ (the PDF carries the DOCX, so it needs the DOCX's too).
REQUIRED_TEMPLATES = {
    "pdf": ("plantilla.html", "estilo.css", "estilos-docx.toml", "referencia.docx"),
    "docx": ("estilos-docx.toml", "referencia.docx"),
    "revision": ("estilos-docx.toml", "referencia.docx"),
    "odt": ("estilos-docx.toml", "referencia.odt"),
}


class OutputFormat(Protocol):
    """What the pipeline knows of an output: its name, file suffix, image kinds it takes, formats it needs."""

    name: str
    suffix: str
    accepts: frozenset[str]
    needs: tuple[str, ...]  # formats whose output this one uses (the PDF carries the DOCX)

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        """Write the output to dest (a staging path) and return facts for the summary (e.g. pages)."""
        ...
