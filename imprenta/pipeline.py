"""build(): the stages in order, and nothing else. `cambios` reuses the rendering stages."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .cache import Cache
from .config import Config
from .document import Document
from .errors import Problems
from .formats import FORMATS, OutputFormat, accepted_kinds, render_order, required_templates
from .formats.check import check_outputs
from .identity import Identity, identify
from .images import ImageStats, prepare_images
from .incremental import remember
from .publish import project_lock, publish
from .source.assemble import read_document
from .source.lint import lint_document
from .source.project import check_templates
from .tools import PANDOC_TURNS

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a successful build produced, for the summary."""

    outputs: dict[str, Path] = field(default_factory=dict)
    facts: dict[str, dict[str, object]] = field(default_factory=dict)
    images: ImageStats = field(default_factory=ImageStats)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # wall time of each stage, for the summary

    def lap(self, stage: str, since: float) -> float:
        """Record a stage's time since `since`; returns now, the start of the next stage."""
        now = time.monotonic()
        self.stages[stage] = now - since
        return now


def build(config: Config, problems: Problems | None = None) -> BuildResult:
    """Load, assemble, prepare images, render every format, then publish all outputs at once."""
    with project_lock(config):
        return _build(config, problems if problems is not None else Problems(strict=config.strict))


def _build(config: Config, problems: Problems) -> BuildResult:
    started = clock = time.monotonic()
    cache = Cache(config.cache_dir)
    cache.sweep()  # scratch left by a build that was killed long ago (a running one's is recent, so kept)
    result = BuildResult()

    log.info("[1/4] leyendo fuentes de %s", config.master.parent)
    if config.master.is_file():  # a missing master is said first, by the reading stage
        check_templates(config, required_templates(render_order(config.formats)))
    doc = read_document(config, problems)
    # Writing slips: warnings (errors with --estricto).
    lint_document(doc.sources, doc.content_dir or config.master.parent, problems, doc.listed)
    problems.report()
    log.info("      %d archivos, %d encabezados, %d imágenes", len(doc.sources), len(doc.headings), len(doc.images))
    identity = identify(doc)  # once per build: the colophon, the properties and the build record all print it
    clock = result.lap("lectura", clock)

    # Outputs are rendered into a private folder; salida/ only changes once every format succeeded.
    with cache.workdir() as stage:
        staged = render(doc, identity, config, config.formats, problems, stage, result)
        clock = result.lap("formatos", clock)
        if config.signature is not None and "pdf" in staged:
            from .formats.pdf.signing import sign_pdf

            log.info("      firmando %s con el certificado de %s", staged["pdf"].name, config.signature.subject)
            sign_pdf(staged["pdf"], config.signature, doc.meta.entidad, config.visible_signature, config.templates_dir)
            clock = result.lap("firma", clock)
        log.info("[4/4] publicando en %s", config.output_dir)
        result.outputs = publish({n: p for n, p in staged.items() if n in config.formats}, config.output_dir)
    inputs = [*identity.files, *config.template_files(), config.master.parent / "metadatos.toml"]
    remember(config, inputs, identity.root, identity.revision, result.outputs)
    result.lap("publicación", clock)
    result.seconds = time.monotonic() - started
    return result


def render(doc: Document, identity: Identity, config: Config, names: tuple[str, ...], problems: Problems,
           stage: Path, result: BuildResult) -> dict[str, Path]:
    """The image stage, then every format asked for (and those they need) into stage; stops on any error."""
    # A format another one needs (the PDF carries the DOCX) is rendered too; the caller publishes the ones asked for.
    formats = [FORMATS[name] for name in render_order(names)]
    clock = time.monotonic()

    # Images come before rendering because each format gets the variant it can take.
    log.info("[2/4] preparando imágenes")
    result.images = prepare_images(doc, accepted_kinds([f.name for f in formats]), config, Cache(config.cache_dir),
                                   problems)
    log.info("      %d convertidas, %d ya estaban en caché", result.images.converted, result.images.cached)
    problems.report()
    problems.stop_if_errors()  # nothing is rendered from a document with errors
    clock = result.lap("imágenes", clock)

    # Formats render side by side (pandoc for the DOCX works while WeasyPrint lays out the PDF); one that needs
    # another's file waits for it only when it reads it. Dependencies are submitted first, so none starves.
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="formato") as pool:
        futures: dict[str, Future[Path]] = {}
        # A format with urgent work (the PDF's HTML, which its layout waits for) counts as urgent before any format
        # starts, so that the others' preparation (see PandocTurns.calm) cannot slip in before it begins.
        announced = {fmt.name: PANDOC_TURNS.announce() for fmt in formats if getattr(fmt, "urgent", False)}
        for number, fmt in enumerate(formats, start=1):
            dest = stage / f"{doc.name}{fmt.suffix}"
            log.info("[3/4] generando %s (%d de %d)", dest.name, number, len(formats))
            inputs = _Rendered({name: futures[name] for name in fmt.needs})
            futures[fmt.name] = pool.submit(_render, fmt, doc, identity, config, dest, problems, inputs, result,
                                            announced.get(fmt.name))
        staged = {name: future.result() for name, future in futures.items()}
    problems.report()
    problems.stop_if_errors()
    log.info("      comprobando que no falte nada en %s", ", ".join(path.name for path in staged.values()))
    check_outputs(doc, staged, problems)  # nothing lost: every heading, table, code block and box is in each output
    problems.report()
    problems.stop_if_errors()
    return staged


class _Rendered(Mapping[str, Path]):
    """The staged outputs of formats rendering alongside: asking for one waits until it is written."""

    def __init__(self, futures: dict[str, Future[Path]]) -> None:
        self.futures = futures

    def __getitem__(self, name: str) -> Path:
        return self.futures[name].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self.futures)

    def __len__(self) -> int:
        return len(self.futures)


def _render(fmt: OutputFormat, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
            inputs: Mapping[str, Path], result: BuildResult, announced: Callable[[], None] | None = None) -> Path:
    started = time.monotonic()
    with PANDOC_TURNS.carrying(announced) if announced else contextlib.nullcontext():
        result.facts[fmt.name] = fmt.render(doc, identity, config, dest, problems, inputs)
    result.stages[dest.name] = time.monotonic() - started
    return dest
