"""The state's templates: the style file, and the DOCX and ODT references generated from it (`referencia`)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ..publish import atomic_write
from .spec import load_spec


def generate_reference(templates_dir: Path) -> list[Path]:
    """Write referencia.docx and referencia.odt from the style file, each replaced atomically."""
    from .docx import generate_docx_reference  # python-docx only when the references are regenerated
    from .odt import generate_odt_reference

    spec = load_spec(templates_dir)
    written = []
    with tempfile.TemporaryDirectory(prefix="imprenta-referencia-") as tmp:
        for name, generate in (("referencia.docx", generate_docx_reference), ("referencia.odt", generate_odt_reference)):
            staged = Path(tmp) / name
            generate(spec, staged, Path(tmp))
            written.append(atomic_write(templates_dir / name, source=staged))
    return written
