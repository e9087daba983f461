"""build(): the stages in order, and the all-or-nothing publication of the outputs."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .assemble import assemble
from .cache import Cache
from .config import Config
from .errors import ConfigError, Problems, display_path
from .document import Document
from .formats import FORMATS, OutputFormat, render_order
from .identity import identify
from .images import ImageStats, prepare_images
from .incremental import remember
from .lint import lint_document
from .numbering import number_floats
from .project import load_project

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a successful build produced, for the summary."""

    outputs: dict[str, Path] = field(default_factory=dict)
    facts: dict[str, dict[str, object]] = field(default_factory=dict)
    images: ImageStats = field(default_factory=ImageStats)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # wall time of each stage, for the summary


def publish(staged: dict[str, Path], output_dir: Path) -> dict[str, Path]:
    """Move finished files into the output folder, each replaced atomically (never half-written)."""
    output_dir.mkdir(parents=True, exist_ok=True)
    published: dict[str, Path] = {}
    for name, path in staged.items():
        final = output_dir / path.name
        try:
            os.replace(path, final)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            # Different file systems: copy next to the target under a hidden name, then rename.
            fd, tmp = tempfile.mkstemp(dir=output_dir, prefix=f".{path.name}.", suffix=".parcial")
            os.close(fd)
            try:
                shutil.copyfile(path, tmp)
                os.replace(tmp, final)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        published[name] = final
    return published


@contextmanager
def project_lock(config: Config) -> Iterator[None]:
    """One build at a time per project: a second one started meanwhile stops with a clear message.

    The lock is an flock on a file in the cache (not in salida/), so the kernel drops it when the process
    ends, even when it is killed: there is never a stale lock to clean up.
    """
    folder = config.cache_dir / "bloqueos"
    folder.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(config.master.resolve()).encode("utf-8")).hexdigest()[:16]
    with open(folder / f"{name}.lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            raise ConfigError(
                f"otra compilación de {display_path(config.master)} está en curso (proceso {holder})",
                "espere a que termine y vuelva a compilar; las dos a la vez se pisarían las salidas",
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def build(config: Config) -> BuildResult:
    """Load, assemble, prepare images, render every format, then publish all outputs at once."""
    with project_lock(config):
        return _build(config)


def read_document(config: Config, problems: Problems) -> Document:
    """The sources as one numbered Document: what every command that reads a document starts from."""
    project = load_project(config, problems)
    doc = assemble(project, problems)  # every part parsed once; anchors and links resolved across parts
    return number_floats(doc)  # after assembly: numbers run across parts, in document order


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


def _build(config: Config) -> BuildResult:
    started = time.monotonic()
    problems = Problems(strict=config.strict)
    cache = Cache(config.cache_dir)
    cache.sweep()  # scratch left by a build that was killed long ago (a running one's is recent, so kept)
    # A format another one needs (the PDF carries the DOCX) is rendered too, but only asked-for ones are published.
    formats = [FORMATS[name] for name in render_order(config.formats)]
    result = BuildResult()
    clock = time.monotonic()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.monotonic()
        result.stages[stage] = now - clock
        clock = now

    log.info("[1/4] leyendo fuentes de %s", config.master.parent)
    doc = read_document(config, problems)
    lint_document(doc.sources, config.master.parent, problems)  # writing slips: warnings (errors with --estricto)
    log.info("      %d archivos, %d encabezados, %d imágenes", len(doc.sources), len(doc.headings), len(doc.images))
    lap("lectura")

    # Images come before rendering because each format gets the variant it can take.
    log.info("[2/4] preparando imágenes")
    result.images = prepare_images(doc, formats, config, cache, problems)
    log.info("      %d convertidas, %d ya estaban en caché", result.images.converted, result.images.cached)
    problems.stop_if_errors()  # nothing is rendered from a document with errors
    identity = identify(doc)
    lap("imágenes")

    # Outputs are rendered into a private folder; salida/ only changes once every format succeeded. Formats
    # render side by side (pandoc for the DOCX works while WeasyPrint lays out the PDF); one that needs
    # another's file waits for it only when it reads it. Dependencies are submitted first, so none starves.
    with cache.workdir() as stage, ThreadPoolExecutor(max_workers=2, thread_name_prefix="formato") as pool:
        futures: dict[str, Future[Path]] = {}
        for number, fmt in enumerate(formats, start=1):
            dest = stage / f"{doc.name}{fmt.suffix}"
            log.info("[3/4] generando %s (%d de %d)", dest.name, number, len(formats))
            inputs = _Rendered({name: futures[name] for name in fmt.needs})
            futures[fmt.name] = pool.submit(_render, fmt, doc, config, dest, problems, inputs, result)
        staged = {name: future.result() for name, future in futures.items()}
        lap("formatos")
        problems.stop_if_errors()
        if config.signature is not None and "pdf" in staged:
            from .signing import sign_pdf

            log.info("      firmando %s con el certificado de %s", staged["pdf"].name, config.signature.subject)
            sign_pdf(staged["pdf"], config.signature, doc.meta.entidad, config.visible_signature)
            lap("firma")
        log.info("[4/4] publicando en %s", config.output_dir)
        result.outputs = publish({n: p for n, p in staged.items() if n in config.formats}, config.output_dir)
    inputs = [*identity.files, *config.template_files(), config.master.parent / "metadatos.toml"]
    remember(config, inputs, identity.root, identity.revision, result.outputs)
    lap("publicación")
    result.seconds = time.monotonic() - started
    return result


def _render(fmt: OutputFormat, doc: Document, config: Config, dest: Path, problems: Problems,
            inputs: Mapping[str, Path], result: BuildResult) -> Path:
    started = time.monotonic()
    result.facts[fmt.name] = fmt.render(doc, config, dest, problems, inputs)
    result.stages[dest.name] = time.monotonic() - started
    return dest
