"""The reference documents are generated from plantillas/estilos-docx.toml: committed copies are current, one edit restyles."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from docx import Document as open_docx

from imprenta.templates import generate_reference

from conftest import REPO


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def test_committed_references_match_the_style_file(tmp_path: Path) -> None:
    templates = shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    for path in generate_reference(templates):
        assert _parts(path) == _parts(REPO / "plantillas" / path.name), (
            f"{path.name} no corresponde a estilos-docx.toml: ejecute python build.py referencia"
        )
    assert not list(templates.glob(".*parcial"))


def test_one_edit_of_the_style_file_restyles_both_references(tmp_path: Path) -> None:
    templates = shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    styles = templates / "estilos-docx.toml"
    styles.write_text(styles.read_text(encoding="utf-8").replace('titulos = "007934"', 'titulos = "1F4E9A"'), encoding="utf-8")
    generate_reference(templates)
    doc = open_docx(str(templates / "referencia.docx"))
    assert str(doc.styles["Heading 1"].font.color.rgb) == "1F4E9A"
    odt_styles = _parts(templates / "referencia.odt")["styles.xml"].decode()
    assert 'style:name="Heading_20_1"' in odt_styles and "#1F4E9A" in odt_styles and "#007934" not in odt_styles
