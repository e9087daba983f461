"""The official PDF: HTML through the template, laid out by WeasyPrint in chunks, merged into one PDF/A."""

from __future__ import annotations

from .render import PdfFormat

__all__ = ["PdfFormat"]
