"""Visual regression: cover, contents, a page with a figure and a table, and the last page against approved PNGs.

Regenerate the approved images (after an intended change of the template) with one command:

    .venv/bin/python -m pytest tests/test_visual.py --regenerar-aprobadas
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from conftest import PROJECTS, REPO, Project, build_project, page_texts, rebuild, render_pages

APPROVED = REPO / "tests/aprobadas"
DPI = 30
# A pixel "differs" when its grey level moves by more than this; a page fails when more than
# MAX_CHANGED of its pixels differ. Anti-aliasing noise stays far below; a lost emblem, header or font does not.
THRESHOLD = 48
MAX_CHANGED = 0.004


def _pages_to_check(pdf: Path) -> dict[str, int]:
    texts = [" ".join(t.split()) for t in page_texts(pdf)]
    body = next(i for i, t in enumerate(texts, 1) if "Figura 1. Un punto rojo" in t and "Lista" not in t and "Contenido" not in t)
    contents = next(i for i, t in enumerate(texts, 1) if "Contenido" in t[:60])
    return {"portada": 1, "contenido": contents, "cuerpo": body, "ultima": len(texts)}


def _changed(a: Path, b: Path) -> float:
    """The share of pixels that differ visibly between two renderings (1.0 if the sizes differ)."""
    one, two = Image.open(a).convert("L"), Image.open(b).convert("L")
    if one.size != two.size:
        return 1.0
    diff = ImageChops.difference(one, two).point(lambda v: 255 if v > THRESHOLD else 0)
    return sum(diff.histogram()[255:]) / (one.width * one.height)


def _render(project: Project, dest: Path) -> dict[str, Path]:
    pdf = project.salida / f"{project.master.stem}.pdf"
    shots: dict[str, Path] = {}
    for name, number in _pages_to_check(pdf).items():
        [png] = render_pages(pdf, dest / name, DPI, number, number)
        shots[name] = png
    return shots


def test_pages_match_the_approved_images(built_muestra: Project, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    shots = _render(built_muestra, tmp_path)
    if request.config.getoption("--regenerar-aprobadas"):
        APPROVED.mkdir(exist_ok=True)
        for name, png in shots.items():
            shutil.copyfile(png, APPROVED / f"muestra-{name}.png")
        return
    for name, png in shots.items():
        approved = APPROVED / f"muestra-{name}.png"
        assert approved.exists(), f"falta {approved}; genérela con --regenerar-aprobadas"
        changed = _changed(png, approved)
        assert changed <= MAX_CHANGED, f"la página «{name}» cambió en un {changed:.2%} de sus píxeles"


def test_a_broken_template_is_caught(tmp_path: Path, shared_cache: Path) -> None:
    """The comparison is not blind: a stylesheet without header, emblem and with another font fails it."""
    project = build_project(tmp_path / "roto", PROJECTS / "muestra", "fuente/muestra.md", shared_cache)
    css = project.root / "plantillas" / "estilo.css"
    css.write_text(
        css.read_text(encoding="utf-8")
        + "\n@page { @top-left { content: none; } }\n.emblema { visibility: hidden; }\nhtml { font-family: serif; }\n",
        encoding="utf-8",
    )
    rebuild(project)
    shots = _render(project, tmp_path / "png")
    for name in ("portada", "cuerpo"):
        assert _changed(shots[name], APPROVED / f"muestra-{name}.png") > MAX_CHANGED, name
