"""DOCX output: pandoc with the reference document from plantillas/."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..config import Config
from ..document import Document, content_name
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
    needs: tuple[str, ...] = ()

    def render(
        self, doc: Document, config: Config, dest: Path, problems: Problems, inputs: Mapping[str, Path]
    ) -> dict[str, object]:
        # pandoc finds images by their content names in a folder of links beside the staged output.
        images = dest.parent / f".imagenes-{self.name}"
        images.mkdir(exist_ok=True)
        for image in doc.images:
            if self.name in image.variants:
                link = images / content_name(image.variants[self.name].path)
                if not link.exists():
                    link.symlink_to(image.variants[self.name].path.resolve())
        run_tool(
            [
                pandoc_path(),
                "--from", "json",
                "--to", "docx",
                f"--reference-doc={config.templates_dir / 'referencia.docx'}",
                "--toc",
                "--toc-depth=3",
                f"--resource-path={images}",
                "--output", str(dest),
            ],
            input_bytes=dumps(doc.ast_for("docx")),
            what="pandoc (DOCX)",
            # pandoc stamps the DOCX with this date instead of the clock: same sources, same bytes.
            env={"SOURCE_DATE_EPOCH": str(doc.meta.epoch)},
        )
        return {}
