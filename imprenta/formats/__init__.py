"""Output formats, registered in one literal dict; each has a name, a suffix, accepted image kinds and render()."""

from __future__ import annotations

from .base import OutputFormat
from .docx import DocxFormat, RevisionFormat
from .odt import OdtFormat
from .pdf import PdfFormat
from .web import WebFormat

FORMATS: dict[str, OutputFormat] = {
    "pdf": PdfFormat(),
    "docx": DocxFormat(),
    "revision": RevisionFormat(),
    "odt": OdtFormat(),
    "html": WebFormat(),
}

__all__ = ["FORMATS", "OutputFormat", "accepted_kinds", "render_order", "required_templates"]


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


def accepted_kinds(names: list[str]) -> dict[str, frozenset[str]]:
    """The image kinds each of these formats takes as they are: what the image stage converts for."""
    return {name: FORMATS[name].accepts for name in names}


def required_templates(names: list[str]) -> list[str]:
    """The files of plantillas/ these formats read, each once, in a stable order."""
    return list(dict.fromkeys(t for name in names for t in FORMATS[name].templates))
