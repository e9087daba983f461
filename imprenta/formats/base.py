"""The small interface every output format implements: name, suffix, image kinds, needs, templates, render()."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from ..config import Config
from ..document import Document
from ..errors import Problems
from ..identity import Identity


class OutputFormat(Protocol):
    """What the pipeline knows of an output: its name, file suffix, image kinds it takes, formats it needs."""

    name: str
    suffix: str
    accepts: frozenset[str]
    needs: tuple[str, ...]  # formats whose output this one uses (the PDF carries the DOCX)
    templates: tuple[str, ...]  # files of plantillas/ it reads
    # A format may also say `urgent = True`: it has work the others should not compete with (tools.PandocTurns).

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        """Write the output to dest (a staging path) and return facts for the summary (e.g. pages)."""
        ...
