"""The command line: Spanish help and errors, another master, and a real foreign document (OWASP, Spanish)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from imprenta import cli

from conftest import CORPUS, REPO, Project, pdf_text


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
    assert "orden desconocida: 'imprimir' (elija entre 'todo', 'pdf', 'docx', 'odt', 'html', 'revisar', 'cambios', 'observaciones', 'verificar', 'importar', 'referencia')" in capsys.readouterr().err


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


def test_owasp_document_builds_as_a_draft_and_an_official_build_refuses_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A real multi-part Spanish document (OWASP Top 10), whose image links are broken as published and whose
    index lists its chapters in bullets that carry a description after each link."""
    docs = tmp_path / "owasp"
    shutil.copytree(CORPUS / "docs/owasp-top10-2021-es/docs", docs)
    project = Project(tmp_path, docs / "es/index.md", tmp_path / "cache")
    shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    run = project.run(capsys, "pdf", expect_warnings=True)
    assert run.code == 0, run.log
    assert "owasp/es/index.md:1: aviso: no hay archivo de metadatos metadatos.toml" in run.log
    # Its images live in docs/assets/ upstream (mkdocs falls back to them); relative to es/ they are missing.
    assert "owasp/es/index.md:15: aviso: imagen no encontrada: es/assets/mapping.png [imagen.falta]" in run.log
    assert "owasp/es/index.md:5: aviso: imagen no encontrada: ./assets/TOP_10_logo_Final_Logo_Colour.png" in run.log
    # The bullets with a description after the link are the list of parts: every chapter is in, none is "outside".
    assert "[enlace.fuera]" not in run.log
    text = " ".join(pdf_text(tmp_path / "salida/index.pdf").split())
    for chapter in ("A01:2021 – Pérdida de Control de Acceso", "A03:2021 – Inyección",
                    "A10:2021 – Falsificación de Solicitudes del Lado del Servidor (SSRF)"):
        assert chapter in text, chapter
    assert "[Imagen no encontrada: es/assets/mapping.png]" in text  # the draft shows what is missing, where
    assert "{:" not in text and "style=" not in text  # attribute lists are attributes, not text

    strict = project.run(capsys, "pdf", "--estricto", expect_warnings=True)
    assert strict.code == 1
    assert "owasp/es/index.md:15: error: imagen no encontrada: es/assets/mapping.png [imagen.falta]" in strict.log
    assert "owasp/es/A03_2021-Injection.md:1: error: imagen no encontrada: assets/TOP_10_Icons_Final_Injection.png" \
        in strict.log
