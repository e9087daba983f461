"""Facts about the real plan that several test modules check against: its sources, headings, metadata, and
how its editable editions must look once LibreOffice lays them out."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from PIL import Image

from imprenta.config import Config
from imprenta.errors import Problems
from imprenta.source.assemble import assemble
from imprenta.source.project import load_project

from conftest import REPO, page_texts

SOURCES = [REPO / "fuente/plan.md", REPO / "fuente/partes/contexto.md", REPO / "fuente/partes/antecedentes.md"]
META = tomllib.loads((REPO / "fuente/metadatos.toml").read_text(encoding="utf-8"))


def source_headings() -> list[str]:
    """Every ATX heading of the master and its parts, in document order (parts replace the list)."""
    headings: list[str] = []
    for path in SOURCES:
        for line in path.read_text(encoding="utf-8").splitlines():
            match = re.match(r"^(#{1,6})\s+(.*)$", line)
            if match:
                headings.append(match.group(2).strip())
    return headings


def plan_headings() -> list[tuple[int, str, str]]:
    """(level, text, anchor) of every heading, as the assembler gives them to the outputs."""
    config = Config(root=REPO, master=Path("fuente/plan.md"))
    problems = Problems()
    doc = assemble(load_project(config, problems), problems)
    return [(h.level, h.text, h.anchor) for h in doc.headings]


def figure_band_ink(pdf: Path, page: int, caption: str, tmp_path: Path) -> float:
    """The share of non-white pixels in the 2.5 cm just above a caption: where its figure is drawn."""
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    words = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="[\d.]+" yMax="[\d.]+">([^<]*)</word>', bbox)
    label, number = caption.split()
    top = next(float(y) for (_, y, w), (_, _, n) in zip(words, words[1:]) if w == label and n.startswith(number))
    dpi = 40
    subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-png", str(pdf),
                    str(tmp_path / "banda")], check=True)
    image = Image.open(next(tmp_path.glob("banda*.png")))
    bottom_px = int(top / 72 * dpi) - 2
    band = image.crop((0, max(0, bottom_px - int(2.5 / 2.54 * dpi)), image.width, bottom_px))
    for old in tmp_path.glob("banda*.png"):
        old.unlink()
    histogram = band.histogram()
    return sum(histogram[:200]) / max(1, sum(histogram))


def check_libreoffice_layout(pdf: Path, tmp_path: Path) -> None:
    """What an entity sees: plausible length, contents filled, headings in order, footer, figures drawn."""
    pages = page_texts(pdf)
    assert 5 <= len(pages) <= 20, len(pages)
    squeeze = [" ".join(p.split()) for p in pages]
    assert META["titulo"] in squeeze[0] and "Página" not in squeeze[0]  # the cover, without footer
    assert f"Página 2 de {len(pages)}" in squeeze[1]
    contents = squeeze[1]
    assert "Contenido" in contents
    expected = [text for level, text, _ in plan_headings() if level <= 3]
    positions = [contents.find(text) for text in expected]
    assert all(p >= 0 for p in positions), "el índice no lista todos los encabezados"
    assert positions == sorted(positions)
    body = " ".join(squeeze[2:])
    cursor = 0
    for heading in source_headings():
        found = body.find(heading, cursor)
        assert found >= 0, f"falta o está fuera de orden: {heading}"
        cursor = found + len(heading)
    for number in (1, 2):
        page = next(i for i, text in enumerate(squeeze) if f"Figura {number}." in text and i > 1) + 1
        ink = figure_band_ink(pdf, page, f"Figura {number}.", tmp_path)
        assert ink > 0.005, f"la figura {number} no se ve en la página {page} ({ink:.3f} de tinta)"
