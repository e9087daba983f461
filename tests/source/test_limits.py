"""Hostile sources stay bounded: nesting, brackets, huge tables and files are refused at their line, quickly,
without a traceback; and each problem is printed exactly once (a part that is not UTF-8 included)."""

from __future__ import annotations

import pytest

from imprenta import cli
from imprenta.source.limits import MAX_BRACKETS, MAX_NESTING, MAX_SOURCE_BYTES, MAX_TABLE_ROWS

from conftest import Project, snapshot


def _refused(project: Project, capsys: pytest.CaptureFixture[str], text: str, expected: str) -> str:
    part = project.root / "fuente/partes/segunda.md"
    part.write_text("# Segunda parte\n\n## Detalle\n\n" + text + "\n", encoding="utf-8")
    before = snapshot(project.salida)
    run = project.run(capsys, "docx", expect_warnings=True)
    assert run.code == 1, run.log
    assert "Traceback" not in run.log
    assert expected in run.log, run.log
    assert run.log.count(expected) == 1, run.log
    assert snapshot(project.salida) == before
    return run.log


def test_a_blockquote_nested_thousands_deep(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(mini, capsys, "> " * 5000 + "texto",
             f"fuente/partes/segunda.md:5: error: citas o listas anidadas a más de {MAX_NESTING} niveles"
             " [fuente.limite-anidamiento]")


def test_lists_and_quotes_nested_inside_each_other(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(mini, capsys, "- > " * 40 + "texto", "fuente/partes/segunda.md:5: error: citas o listas anidadas")


def test_thousands_of_nested_brackets(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _refused(mini, capsys, "Texto " + "[" * 3000 + "x" + "]" * 3000,
             f"fuente/partes/segunda.md:5: error: más de {MAX_BRACKETS} «[» abiertos uno dentro de otro"
             " [fuente.limite-corchetes]")


def test_nested_parentheses_across_lines_of_one_paragraph(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    lines = "\n".join("(" * 10 for _ in range(5))
    _refused(mini, capsys, lines, "fuente/partes/segunda.md:8: error: más de 32 «(» abiertos")


def test_a_table_of_twenty_thousand_rows(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    rows = "\n".join(f"| fila {i} | celda {i} |" for i in range(20_000))
    _refused(mini, capsys, "| a | b |\n|---|---|\n" + rows,
             f"fuente/partes/segunda.md:{5 + MAX_TABLE_ROWS}: error: una tabla de más de {MAX_TABLE_ROWS} filas"
             " [fuente.limite-tabla]")


def test_a_file_too_large(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    paragraph = "Palabras de un párrafo corriente para llenar el archivo. " * 20
    text = "\n\n".join(paragraph for _ in range(MAX_SOURCE_BYTES // len(paragraph.encode()) + 10))
    _refused(mini, capsys, text, "fuente/partes/segunda.md:1: error: el archivo ocupa 4.")


def test_within_the_limits_builds(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    part = mini.root / "fuente/partes/segunda.md"
    nested = "\n".join("  " * i + f"- nivel {i}" for i in range(8))
    part.write_text(f"# Segunda parte\n\n## Detalle\n\n> > > cita [con [corchetes] y (paréntesis)]\n\n{nested}\n",
                    encoding="utf-8")
    assert mini.run(capsys, "docx").code == 0


def test_a_part_not_in_utf8_is_reported_once_in_a_build_and_in_revisar(
    mini: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    (mini.root / "fuente/partes/segunda.md").write_bytes("# Segunda parte\n\nAcción\n".encode("latin-1"))
    expected = "fuente/partes/segunda.md:3: error: el archivo no está en UTF-8"
    run = mini.run(capsys, "docx", expect_warnings=True)
    assert run.code == 1
    assert run.log.count(expected) == 1, run.log
    capsys.readouterr()
    code = cli.main(["revisar", "--fuente", str(mini.master), "--plantillas", str(mini.root / "plantillas"),
                     "--cache", str(mini.cache)])
    log = capsys.readouterr().err
    assert code == 1
    assert log.count("segunda.md:3: error: el archivo no está en UTF-8") == 1, log
    assert "partes.sin-listar" not in log, log  # it is listed: it could not be read, which is said once
