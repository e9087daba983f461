"""Raster normalisation with Pillow: EXIF orientation, CMYK and 16-bit to 8-bit sRGB, transparency, size."""

from __future__ import annotations

import io
import logging
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from ..cache import Cache, file_digest
from ..errors import ImageError

log = logging.getLogger(__name__)

NAME = "raster"
VERSION = "1"
PASSTHROUGH_FORMATS = {"PNG", "JPEG", "GIF"}
PASSTHROUGH_MODES = {"1", "L", "LA", "RGB", "RGBA", "P"}


@dataclass(frozen=True)
class RasterCheck:
    """Why a raster must be rewritten (empty when it can be used as it is), and what to warn about."""

    reasons: tuple[str, ...]
    warnings: tuple[str, ...]


def _open(path: Path) -> Image.Image:
    """Open and fully decode an image; refuse decompression bombs and report damage plainly."""
    # WeasyPrint sets Pillow's LOAD_TRUNCATED_IMAGES globally on import; a half-copied image must fail here.
    lenient = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(path)
            image.load()
            return image
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageError(
            f"la imagen declara dimensiones enormes y se rechaza por seguridad ({exc})",
            "reduzca la imagen a un tamaño razonable (por ejemplo 3000 píxeles de ancho)",
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageError("Pillow no reconoce el contenido de la imagen", "compruebe que no esté dañada") from exc
    except (OSError, SyntaxError, ValueError, struct.error) as exc:
        raise ImageError(f"la imagen está dañada o truncada ({exc})", "vuelva a copiarla o exportarla") from exc
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = lenient


def max_pixels(text_width_cm: float, max_dpi: int) -> int:
    """Widest useful raster: the text width printed at max_dpi."""
    return int(text_width_cm / 2.54 * max_dpi)


def check(path: Path, limit_px: int) -> RasterCheck:
    """Decode the raster and decide whether it needs rewriting."""
    image = _open(path)
    reasons: list[str] = []
    notes: list[str] = []
    if image.format not in PASSTHROUGH_FORMATS:
        reasons.append(f"formato {image.format}")
    if image.mode not in PASSTHROUGH_MODES:
        reasons.append(f"modo {image.mode}")
    if image.getexif().get(0x0112, 1) != 1:
        reasons.append("orientación EXIF")
    if image.mode == "P" and "transparency" in image.info:
        reasons.append("transparencia de paleta")
    if max(image.size) > limit_px and image.width > limit_px:
        reasons.append(f"{image.width} px de ancho")
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and image.format != "GIF":
        notes.append(f"la imagen tiene {frames} páginas; solo se usa la primera")
        reasons.append("varias páginas")
    return RasterCheck(tuple(reasons), tuple(notes))


def _to_srgb(image: Image.Image) -> Image.Image:
    profile = image.info.get("icc_profile")
    if image.mode == "CMYK" and profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
            return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
        except (ImageCms.PyCMSError, OSError):
            pass
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode == "F":
        return image.point(lambda v: v * 255).convert("L")
    if image.mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in PASSTHROUGH_MODES - {"P"}:
        return image
    return image.convert("RGBA" if "A" in image.mode else "RGB")


def _key(source: Path, limit_px: int) -> str:
    return Cache.key(NAME, VERSION, file_digest(source), str(limit_px))


def _cached(source: Path, cache: Cache, limit_px: int) -> Path | None:
    key = _key(source, limit_px)
    return cache.lookup(NAME, key, ".png") or cache.lookup(NAME, key, ".jpg")


def cache_hit(source: Path, cache: Cache, limit_px: int) -> bool:
    """True when a normalised copy of this exact content is already cached."""
    return _cached(source, cache, limit_px) is not None


def normalise(source: Path, cache: Cache, limit_px: int) -> Path:
    """Write (or reuse) an 8-bit sRGB PNG/JPEG, upright and no wider than limit_px."""
    cached = _cached(source, cache, limit_px)
    if cached:
        return cached
    key = _key(source, limit_px)
    image = _open(source)
    was_jpeg = image.format == "JPEG"
    image.seek(0)
    image = ImageOps.exif_transpose(image) or image
    image = _to_srgb(image)
    if image.width > limit_px:
        height = max(1, round(image.height * limit_px / image.width))
        image = image.resize((limit_px, height), Image.Resampling.LANCZOS)
    suffix = ".jpg" if was_jpeg and image.mode in ("RGB", "L") else ".png"
    with cache.workdir() as work:
        produced = work / f"imagen{suffix}"
        if suffix == ".jpg":
            image.save(produced, "JPEG", quality=92, optimize=True)
        else:
            image.save(produced, "PNG", optimize=True)
        stored = cache.store(NAME, key, suffix, produced)
    log.info("  normalizada %s (%s)", source.name, suffix[1:].upper())
    return stored
