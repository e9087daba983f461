"""Images: every corpus metafile converts (text intact) or fails plainly; rasters are normalised; the cache works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image, ImageChops, ImageOps, ImageStat

from imprenta.cache import Cache
from imprenta.errors import ImageError
from imprenta.images import metafile, raster
from imprenta.images.probe import probe

from conftest import CORPUS, Project

METAFILES = sorted((CORPUS / "images").glob("*.wmf")) + sorted((CORPUS / "images").glob("*.emf"))
# Words each drawing really contains (read from the files' text records), to prove text survives as text.
EXPECTED_TEXT = {
    "libemf2svg__test-022.emf": ["Dendrogramme de 12", "Méth. de Ward", "chaînes"],
    "libemf2svg__test-184.emf": ["АБВГДЕЖ", "texte en cyrillique"],
    "libwmf__fulltest.wmf": ["Metafile Companion Test Chart", "Underline"],
    "poi__SimpleEMF_windows.emf": ["testPDF.pdf"],
}


def _svg_text(svg: Path) -> str:
    root = etree.parse(str(svg)).getroot()
    return " ".join(" ".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[Path, Path | ImageError]:
    cache = Cache(tmp_path_factory.mktemp("cache-metafiles"))
    return metafile.convert_all([(p, probe(p)) for p in METAFILES], cache)


def test_corpus_has_metafiles() -> None:
    assert len(METAFILES) == 16


@pytest.mark.parametrize("source", METAFILES, ids=lambda p: p.name)
def test_corpus_metafile_converts_cropped_and_sized(source: Path, converted: dict[Path, Path | ImageError]) -> None:
    result = converted[source]
    assert isinstance(result, Path), f"{source.name}: {getattr(result, 'message', result)}"
    root = etree.parse(str(result)).getroot()
    x, y, w, h = (float(v) for v in root.get("viewBox").split())
    assert (w, h) != (21000, 29700), "no se recortó la página A4 de LibreOffice"
    info = probe(source)
    width_mm = float(root.get("width").removesuffix("mm"))
    if info.width_cm:
        assert abs(width_mm - info.width_cm * 10) < 0.1
    for words in EXPECTED_TEXT.get(source.name, []):
        assert words in " ".join(_svg_text(result).split()), f"{source.name}: falta el texto {words!r}"


@pytest.mark.parametrize("source", METAFILES[:4] + METAFILES[-4:], ids=lambda p: p.name)
@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.9])
def test_truncated_metafiles_fail_plainly(source: Path, fraction: float, tmp_path: Path) -> None:
    data = source.read_bytes()
    cut = tmp_path / source.name
    cut.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(ImageError) as caught:
        probe(cut)
    assert re.search(r"truncado|no es válido|no es una imagen", caught.value.message)
    assert caught.value.hint


def test_hostile_metafile_size_is_refused(tmp_path: Path) -> None:
    data = bytearray((CORPUS / "images/libwmf__ant.wmf").read_bytes())
    data[10:12] = (30000).to_bytes(2, "little", signed=True)  # right edge
    data[14:16] = (1).to_bytes(2, "little")  # one unit per inch: kilometres wide
    path = tmp_path / "enorme.wmf"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageError, match="tamaño imposible"):
        probe(path)


def _normalised(source: Path, tmp_path: Path, limit: int = 1889) -> Image.Image:
    out = raster.normalise(source, Cache(tmp_path / "cache"), limit)
    image = Image.open(out)
    image.load()
    return image


def test_exif_rotation_is_applied(tmp_path: Path) -> None:
    source = CORPUS / "images/pillow__hopper_orientation_6.jpg"
    assert "orientación EXIF" in raster.check(source, 1889).reasons
    out = _normalised(source, tmp_path)
    expected = ImageOps.exif_transpose(Image.open(source)).convert("RGB")
    raw = Image.open(source).convert("RGB")
    assert out.getexif().get(0x0112, 1) == 1
    def mean_difference(a: Image.Image, b: Image.Image) -> float:
        return ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]

    assert mean_difference(out, expected) < mean_difference(out, raw) / 4


def test_16bit_becomes_8bit_with_its_range(tmp_path: Path) -> None:
    source = CORPUS / "images/pillow__16bit.cropped.tif"
    low16, high16 = Image.open(source).getextrema()
    out = _normalised(source, tmp_path)
    assert out.mode == "L"
    low, high = out.getextrema()
    # Scaled by 1/256, not clipped at 255: the 8-bit range is the 16-bit range shifted down.
    assert abs(low - low16 / 256) <= 1 and abs(high - high16 / 256) <= 1, ((low, high), (low16, high16))
    assert high < 255  # Pillow's plain convert("L") would clip this file to white


def test_palette_transparency_becomes_alpha(tmp_path: Path) -> None:
    out = _normalised(CORPUS / "images/pillow__pil123p.png", tmp_path)
    assert out.mode == "RGBA"
    assert out.getextrema()[3][0] < 255


def test_multipage_tiff_uses_first_page_and_says_so(tmp_path: Path) -> None:
    source = CORPUS / "images/pillow__multipage.tiff"
    verdict = raster.check(source, 1889)
    assert verdict.warnings == ("la imagen tiene 3 páginas; solo se usa la primera",)
    assert _normalised(source, tmp_path).size == (10, 10)


def test_cmyk_becomes_rgb_and_huge_is_downscaled(tmp_path: Path) -> None:
    cmyk = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (3000, 1000), (0, 255, 255, 0)).save(cmyk)
    out = _normalised(cmyk, tmp_path, limit=1889)
    assert out.mode == "RGB" and out.size == (1889, 630)
    r, g, b = out.getpixel((10, 10))
    assert r > 200 and g < 60 and b < 60


def test_second_build_converts_nothing(mini: Project, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    import shutil

    shutil.copy(CORPUS / "images/libemf2svg__test-022.emf", mini.root / "imagenes/dendrograma.emf")
    shutil.copy(CORPUS / "images/pillow__hopper_orientation_6.jpg", mini.root / "imagenes/girada.jpg")
    with (mini.root / "fuente/partes/segunda.md").open("a", encoding="utf-8") as fh:
        fh.write("\n![Dendrograma](../../imagenes/dendrograma.emf)\n\n![Retrato](../../imagenes/girada.jpg)\n")
    mini.cache = tmp_path / "cache-propia"
    first = mini.run(capsys)
    assert first.code == 0, first.log
    assert "2 convertidas, 0 ya estaban en caché" in first.log
    # A change of text (not of images) rebuilds, and the conversions come from the cache.
    with (mini.root / "fuente/partes/segunda.md").open("a", encoding="utf-8") as fh:
        fh.write("\nUn párrafo nuevo.\n")
    second = mini.run(capsys)
    assert second.code == 0
    assert "0 convertidas, 2 ya estaban en caché" in second.log
    assert "convertida dendrograma.emf" not in second.log
