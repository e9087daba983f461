"""Output formats, registered in one literal dict; each has a name, a suffix, accepted image kinds and render()."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from ..config import Config
from ..document import Document
from ..errors import Problems
from . import docx, pdf


class OutputFormat(Protocol):
    """The small interface every output module implements."""

    name: str
    suffix: str
    accepts: frozenset[str]

    def render(self, doc: Document, config: Config, dest: Path, problems: Problems) -> dict[str, object]:
        """Write the output to dest (a staging path) and return facts for the summary (e.g. pages)."""
        ...


FORMATS: dict[str, OutputFormat] = {
    "pdf": pdf.PdfFormat(),
    "docx": docx.DocxFormat(),
}
