"""The image stage: give every output format a file it can take, converting only what it cannot."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..cache import Cache
from ..config import Config
from ..document import Document, ImageRef, ImageVariant
from ..errors import ImageError, Problems
from ..images import metafile, raster, vector
from ..templates.spec import load_spec
from .probe import ImageInfo, probe

log = logging.getLogger(__name__)

RASTER_KINDS = {"png", "jpeg", "gif", "tiff", "bmp", "webp"}
METAFILE_KINDS = {"wmf", "emf"}


@dataclass
class ImageStats:
    """How many images were converted in this build and how many came from the cache."""

    converted: int = 0
    cached: int = 0


def fit(info: ImageInfo, max_width_cm: float) -> tuple[float | None, float | None]:
    """The printed size: the physical size, scaled down (never up) to the text width, aspect kept."""
    if not info.width_cm or not info.height_cm:
        return None, None
    scale = min(1.0, max_width_cm / info.width_cm)
    return info.width_cm * scale, info.height_cm * scale


def prepare_images(
    doc: Document, accepts: Mapping[str, frozenset[str]], config: Config, cache: Cache, problems: Problems
) -> ImageStats:
    """Probe every image, convert where an output cannot take it, and record each output's variant.

    accepts names each output format and the image kinds it takes as they are (see formats.accepted_kinds).
    """
    stats = ImageStats()
    infos: dict[int, ImageInfo] = {}
    text_width_cm = load_spec(config.templates_dir).text_width_cm  # no image is printed wider than the text
    limit_px = raster.max_pixels(text_width_cm, config.max_dpi)
    normalised: dict[Path, Path] = {}
    metafiles: list[tuple[ImageRef, ImageInfo]] = []

    for ref in doc.images:
        try:
            info = probe(ref.path)
            if info.kind in RASTER_KINDS:
                verdict = raster.check(ref.path, limit_px)
                for note in verdict.warnings:
                    problems.warning(ref.location, f"{ref.path.name}: {note}", "imagen.paginas", "separe las páginas en archivos distintos si las necesita todas")
                if verdict.reasons:
                    before = raster.cache_hit(ref.path, cache, limit_px)
                    normalised[ref.path] = raster.normalise(ref.path, cache, limit_px)
                    stats.cached += before
                    stats.converted += not before
        except ImageError as exc:
            problems.error(ref.location, f"{ref.path.name}: {exc.message}", "imagen.invalida", exc.hint)
            continue
        if info.kind == "svg":
            try:
                info = vector.svg_info(ref.path)
            except ImageError as exc:
                problems.error(ref.location, f"{ref.path.name}: {exc.message}", "imagen.invalida", exc.hint)
                continue
        infos[ref.index] = info
        if info.kind in METAFILE_KINDS and any(info.kind not in kinds for kinds in accepts.values()):
            metafiles.append((ref, info))

    svgs: dict[Path, Path | ImageError] = {}
    if metafiles:
        unique = {ref.path: info for ref, info in metafiles}
        before = sum(1 for p in unique if cache.lookup(metafile.NAME, metafile.cache_key(p), ".svg"))
        svgs = metafile.convert_all(list(unique.items()), cache)
        stats.cached += before
        stats.converted += sum(1 for r in svgs.values() if isinstance(r, Path)) - before
        for ref, _ in metafiles:
            result = svgs[ref.path]
            if isinstance(result, ImageError):
                problems.error(ref.location, f"{ref.path.name}: {result.message}", "imagen.conversion", result.hint)

    for ref in doc.images:
        info = infos.get(ref.index)
        if info is None:
            continue
        width, height = fit(info, text_width_cm)
        for name, kinds in accepts.items():
            if ref.path in normalised:
                ref.variants[name] = ImageVariant(normalised[ref.path])
            elif info.kind in kinds:
                ref.variants[name] = ImageVariant(ref.path, width, height)
            elif info.kind in METAFILE_KINDS and isinstance(svgs.get(ref.path), Path):
                ref.variants[name] = ImageVariant(svgs[ref.path], width, height)  # type: ignore[arg-type]
            elif info.kind in METAFILE_KINDS:
                continue  # already reported above
            elif info.kind == "svg" and "png" in kinds:
                try:
                    png, was_cached = vector.convert(ref.path, cache)
                except ImageError as exc:
                    problems.error(ref.location, f"{ref.path.name}: {exc.message}", "imagen.conversion", exc.hint)
                    continue
                stats.cached += was_cached
                stats.converted += not was_cached
                ref.variants[name] = ImageVariant(png, width, height)
            else:
                problems.error(
                    ref.location,
                    f"{ref.path.name}: el formato {name.upper()} no admite imágenes {info.kind.upper()}",
                    "imagen.tipo",
                    "convierta la imagen a PNG o SVG",
                )
    return stats
