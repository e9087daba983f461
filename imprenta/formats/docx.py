"""DOCX output: pandoc with the reference document from plantillas/, finished with python-docx."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path

from ..config import Config
from ..document import Document
from ..errors import Problems
from ..identity import Identity
from ..pandocast import Element, walk
from ..source.numbering import LABELS
from .editable import normalise_zip, properties, render_with_pandoc
from .ooxml import annotation_copy, finish_docx

log = logging.getLogger(__name__)

# The environment variable that, when set, adds a password to the annotation copy's protection.
PASSWORD_VARIABLE = "IMPRENTA_CLAVE_REVISION"


def _sequence_fields(blocks: list[Element]) -> None:
    """The number of "Figura 3." becomes a SEQ field, as Word's own captions have (its list of figures finds them)."""

    def visit(el: Element) -> None:
        if el["t"] != "Span" or "rotulo" not in el["c"][0][1]:
            return
        inlines = el["c"][1]
        label = inlines[0]["c"].strip() if inlines and inlines[0]["t"] == "Str" else ""
        for i, inline in enumerate(inlines):
            if inline["t"] == "Span" and "numero" in inline["c"][0][1] and label in LABELS.values():
                number = inline["c"][1][0]["c"]
                xml = (f'<w:fldSimple w:instr=" SEQ {label} \\* ARABIC "><w:r><w:t>{number}</w:t></w:r>'
                       "</w:fldSimple>")
                inlines[i] = {"t": "RawInline", "c": ["openxml", xml]}

    walk(blocks, visit)


class DocxFormat:
    """The editable copy that entities annotate."""

    name = "docx"
    suffix = ".docx"
    # Word and LibreOffice take metafiles natively: they get the original, sized from its header.
    # SVG is not taken: pandoc embeds it without a PNG fallback and LibreOffice then draws nothing.
    accepts = frozenset({"png", "jpeg", "gif", "wmf", "emf"})
    needs: tuple[str, ...] = ()
    templates = ("estilos-docx.toml", "referencia.docx")

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        data, spec = render_with_pandoc(doc, config, dest, self.name, self.accepts,
                                        ("openxml", "<w:p><w:r><w:t>MARKER</w:t></w:r></w:p>"), _sequence_fields)
        finished = finish_docx(data, doc.meta, doc.headings, properties(doc, identity), spec.colours)
        dest.write_bytes(normalise_zip(finished, doc.meta.stamp))
        return {}


class RevisionFormat:
    """The annotation copy (`--revision`): the DOCX with tracked changes on and editing protected."""

    name = "revision"
    suffix = "-revision.docx"
    accepts = DocxFormat.accepts
    needs = ("docx",)
    templates = DocxFormat.templates

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        password = os.environ.get(PASSWORD_VARIABLE) or None
        data = annotation_copy(inputs["docx"].read_bytes(), password, identity.digest)
        dest.write_bytes(normalise_zip(data, doc.meta.stamp))
        if not password:
            log.info("      copia protegida sin contraseña (defina %s para ponerle una)", PASSWORD_VARIABLE)
        return {}
