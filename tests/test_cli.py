"""The command line: Spanish help and errors, another master, and a real foreign document (OWASP, Spanish)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from imprenta import cli

from conftest import CORPUS, REPO, Project


def test_help_is_in_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("uso: build.py")
    for words in ("opciones:", "muestra esta ayuda y termina", "--fuente ARCHIVO.md", "--salida DIR", "solo el PDF"):
        assert words in out


def test_unknown_command_is_explained_in_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["imprimir"])
    assert exit_.value.code == 2
    assert "orden desconocida: 'imprimir' (elija entre 'todo', 'pdf', 'docx', 'odt', 'revisar', 'cambios', 'observaciones', 'verificar', 'referencia')" in capsys.readouterr().err


def test_missing_master_is_a_clear_error(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    mini.master = mini.root / "fuente/no-existe.md"
    run = mini.run(capsys)
    assert run.code == 1
    assert "error: no se encontró el documento maestro" in run.log
    assert "sugerencia: indique otro con --fuente" in run.log
    assert not mini.salida.exists()


def test_another_master_in_another_folder_is_named_after_it(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    run = mini.run(capsys, "pdf")
    assert run.code == 0, run.log
    assert sorted(p.name for p in mini.salida.iterdir()) == ["indice.pdf"]
    assert re.search(r"indice\.pdf \(\d+ páginas\)", run.log), run.log


def test_owasp_document_reports_its_broken_image_links(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A real multi-part Spanish document whose image links are broken as published: every one is listed."""
    docs = tmp_path / "owasp"
    shutil.copytree(CORPUS / "docs/owasp-top10-2021-es/docs", docs)
    project = Project(tmp_path, docs / "es/index.md", tmp_path / "cache")
    shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    run = project.run(capsys, expect_warnings=True)
    assert run.code == 1
    assert "owasp/es/index.md:1: aviso: no hay archivo de metadatos metadatos.toml" in run.log
    # Its images live in docs/assets/ upstream (mkdocs falls back to them); relative to es/ they are missing.
    assert "owasp/es/index.md:15: error: imagen no encontrada: es/assets/mapping.png [imagen.falta]" in run.log
    assert "owasp/es/index.md:5: error: imagen no encontrada: ./assets/TOP_10_logo_Final_Logo_Colour.png" in run.log
    # Its chapter links sit inside descriptive bullets, so they are not a list of parts: each is reported, on its line.
    outside = [line for line in run.log.splitlines() if "[enlace.fuera]" in line]
    assert len(outside) == 10
    assert outside[0].startswith("owasp/es/index.md:17: error: el enlace A01_2021-Broken_Access_Control.md")
    assert outside[9].startswith("owasp/es/index.md:26: error: el enlace A10_2021-Server-Side_Request_Forgery_(SSRF).md")
    assert not (tmp_path / "salida").exists()
