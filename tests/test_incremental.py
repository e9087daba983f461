"""Rebuilds: nothing changed means nothing rewritten; any change rebuilds, and a cached rebuild equals a clean one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import PROJECTS, Project, build_project, rebuild


def _stamps(folder: Path) -> dict[str, tuple[int, bytes]]:
    return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(folder.iterdir())}


def test_no_change_rewrites_nothing(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    assert mini.run(capsys).code == 0
    before = _stamps(mini.salida)
    os.utime(mini.master)  # touched but not edited: same content, no rebuild
    run = mini.run(capsys)
    assert run.code == 0
    assert "sin cambios desde la última compilación" in run.log and "[1/4]" not in run.log
    assert _stamps(mini.salida) == before


@pytest.mark.parametrize("change", ["texto", "metadatos", "plantilla", "imagen", "salida", "formatos"])
def test_every_kind_of_change_rebuilds(mini: Project, capsys: pytest.CaptureFixture[str], change: str) -> None:
    assert mini.run(capsys).code == 0
    args: tuple[str, ...] = ()
    if change == "texto":
        with (mini.root / "fuente/partes/primera.md").open("a", encoding="utf-8") as fh:
            fh.write("\nOtro párrafo.\n")
    elif change == "metadatos":
        toml = mini.master.parent / "metadatos.toml"
        toml.write_text(toml.read_text(encoding="utf-8").replace('version = "1.0"', 'version = "1.1"'), encoding="utf-8")
    elif change == "plantilla":
        css = mini.root / "plantillas/estilo.css"
        css.write_text(css.read_text(encoding="utf-8") + "\np { letter-spacing: 0.01em; }\n", encoding="utf-8")
    elif change == "imagen":
        image = mini.root / "imagenes/punto.png"
        from PIL import Image

        Image.new("RGB", (40, 40), "blue").save(image)
    elif change == "salida":
        (mini.salida / "indice.pdf").write_bytes(b"estropeado")
    elif change == "formatos":
        args = ("docx", "--revision")
    run = mini.run(capsys, *args)
    assert run.code == 0
    assert "[1/4] leyendo fuentes" in run.log, f"{change}: no se recompiló\n{run.log}"


def test_cached_rebuild_equals_a_clean_build(tmp_path: Path, shared_cache: Path) -> None:
    """Build, edit a paragraph, rebuild with the warm cache; a clean build of the edited sources gives the same bytes."""
    warm = build_project(tmp_path / "caliente", PROJECTS / "muestra", "fuente/muestra.md", tmp_path / "cache-caliente")
    source = next((warm.root / "fuente").rglob("*.md"))
    text = source.read_text(encoding="utf-8")
    paragraph = next(line for line in text.splitlines() if len(line) > 60 and not line.startswith(("#", "|", "!", "[", "-")))
    edited = text.replace(paragraph, paragraph[:30] + " (texto corregido) " + paragraph[30:], 1)
    source.write_text(edited, encoding="utf-8")
    rebuild(warm)
    clean = build_project(tmp_path / "limpia", warm.root, "fuente/muestra.md", tmp_path / "cache-limpia")
    for name in ("muestra.pdf", "muestra.docx"):
        assert (warm.salida / name).read_bytes() == (clean.salida / name).read_bytes(), name
