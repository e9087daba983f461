"""Output formats, registered in one literal dict; each has a name, a suffix, accepted image kinds and render()."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from ..config import Config
from ..document import Document
from ..errors import Problems
from . import docx, odt, pdf


class OutputFormat(Protocol):
    """The small interface every output module implements."""

    name: str
    suffix: str
    accepts: frozenset[str]
    needs: tuple[str, ...]  # formats whose output this one uses (the PDF carries the DOCX)

    def render(
        self, doc: Document, config: Config, dest: Path, problems: Problems, inputs: Mapping[str, Path]
    ) -> dict[str, object]:
        """Write the output to dest (a staging path) and return facts for the summary (e.g. pages)."""
        ...


def render_order(names: tuple[str, ...]) -> list[str]:
    """The formats to render, each after the formats it needs (which are rendered even if not asked for)."""
    order: list[str] = []

    def add(name: str) -> None:
        if name not in order:
            for needed in FORMATS[name].needs:
                add(needed)
            order.append(name)

    for name in names:
        add(name)
    return order


FORMATS: dict[str, OutputFormat] = {
    "pdf": pdf.PdfFormat(),
    "docx": docx.DocxFormat(),
    "revision": docx.RevisionFormat(),
    "odt": odt.OdtFormat(),
}
