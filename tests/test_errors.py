"""Bad input: every problem is reported in Spanish as file:line with a hint, all at once, and salida/ is untouched."""

from __future__ import annotations

import re

import pytest

from conftest import CORPUS, Project, edit, pdf_text, snapshot

PREVIOUS = {"indice.pdf": b"%PDF-1.7 salida anterior buena", "indice.docx": b"PK docx anterior bueno"}


def _previous_outputs(project: Project) -> dict[str, bytes]:
    project.salida.mkdir(exist_ok=True)
    for name, data in PREVIOUS.items():
        (project.salida / name).write_bytes(data)
    return snapshot(project.salida)


def _fails(project: Project, capsys: pytest.CaptureFixture[str], *expected: str) -> str:
    """Build, expect failure, the given lines in the log, and salida/ exactly as before."""
    before = _previous_outputs(project)
    run = project.run(capsys, expect_warnings=True)
    assert run.code == 1, run.log
    for line in expected:
        assert line in run.log, f"falta el mensaje:\n{line}\nen:\n{run.log}"
    assert "sugerencia:" in run.log
    assert "la compilación se detuvo" in run.log
    assert snapshot(project.salida) == before, "una compilación fallida cambió salida/"
    return run.log


def test_missing_part(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    (mini.root / "fuente/partes/segunda.md").unlink()
    _fails(
        mini, capsys,
        "fuente/indice.md:8: error: no se encontró el archivo segunda.md [fuente.falta]",
        "sugerencia: compruebe la ruta; se busca en ",
    )


def test_missing_image_names_the_part_and_line(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/partes/primera.md", "punto.png", "punta.png")
    _fails(
        mini, capsys,
        "fuente/partes/primera.md:7: error: imagen no encontrada: ../../imagenes/punta.png [imagen.falta]",
        "sugerencia: ¿quiso decir «punto.png»?",
    )


def test_corrupt_image(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    import weasyprint  # noqa: F401 - it makes Pillow lenient on import; the check must stay strict anyway

    png = mini.root / "imagenes/punto.png"
    png.write_bytes(png.read_bytes()[:60])
    _fails(mini, capsys, "fuente/partes/primera.md:7: error: punto.png: la imagen está dañada o truncada")


def test_file_that_is_not_an_image(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    (mini.root / "imagenes/punto.png").write_text("esto no es una imagen", encoding="utf-8")
    _fails(mini, capsys, "fuente/partes/primera.md:7: error: punto.png: el archivo no es una imagen reconocible")


def test_truncated_wmf_is_refused_with_its_size(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    data = (CORPUS / "images/libwmf__fulltest.wmf").read_bytes()
    (mini.root / "imagenes/dibujo.wmf").write_bytes(data[: len(data) // 2])
    edit(mini.root / "fuente/partes/primera.md", "punto.png", "dibujo.wmf")
    _fails(mini, capsys, f"dibujo.wmf: el archivo WMF está truncado: declara {len(data)} bytes y tiene {len(data) // 2}")


def test_link_to_missing_heading_suggests_the_close_one(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/indice.md", "segunda.md#detalle)", "segunda.md#detalles)")
    _fails(
        mini, capsys,
        "fuente/indice.md:5: error: el enlace partes/segunda.md#detalles apunta a un encabezado que no existe "
        "en fuente/partes/segunda.md [enlace.ancla]",
        "sugerencia: ¿quiso decir #detalle?",
    )


def test_part_listed_twice(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/indice.md", "* [Segunda](partes/segunda.md)", "* [Segunda](partes/segunda.md)\n* [Otra vez](partes/primera.md)")
    _fails(
        mini, capsys,
        "fuente/indice.md:9: error: la parte fuente/partes/primera.md está listada dos veces [parte.repetida]",
        "sugerencia: ya se incluyó en fuente/indice.md:7",
    )


def test_part_that_includes_the_master_is_a_cycle(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    with (mini.root / "fuente/partes/segunda.md").open("a", encoding="utf-8") as fh:
        fh.write("\n* [Volver al índice](../indice.md)\n")
    _fails(
        mini, capsys,
        "fuente/partes/segunda.md:7: error: la parte fuente/indice.md se incluye a sí misma en un ciclo: "
        "fuente/indice.md → fuente/partes/segunda.md → fuente/indice.md [parte.ciclo]",
    )


def test_invalid_utf8_gives_the_line(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    path = mini.root / "fuente/partes/segunda.md"
    path.write_bytes(path.read_bytes().replace(b"Texto de la segunda", "Texto de la segunda".encode("latin-1") + b" con \xf1"))
    _fails(mini, capsys, "fuente/partes/segunda.md:5: error: el archivo no está en UTF-8 (byte 0xf1")


def test_empty_part(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    (mini.root / "fuente/partes/segunda.md").write_text("\n  \n", encoding="utf-8")
    _fails(mini, capsys, "fuente/indice.md:8: error: la parte fuente/partes/segunda.md está vacía [parte.vacia]")


def test_every_problem_is_listed_before_stopping(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/indice.md", "segunda.md#detalle)", "primera.md#nada)")
    edit(mini.root / "fuente/partes/primera.md", "punto.png", "ninguna.png")
    (mini.root / "fuente/partes/segunda.md").write_text("", encoding="utf-8")
    log = _fails(mini, capsys, "[enlace.ancla]", "[imagen.falta]", "[parte.vacia]", "la compilación se detuvo: 3 errores")
    assert log.count(": error: ") == 3


def test_unknown_metadata_key_suggests_the_right_one(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/metadatos.toml", "titulo =", "titlo =")
    _fails(
        mini, capsys,
        "fuente/metadatos.toml:1: error: clave de metadatos desconocida: titlo [metadatos.clave]",
        "sugerencia: ¿quiso decir «titulo»?",
    )


def test_bom_and_crlf_are_accepted(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    for path in (mini.root / "fuente").rglob("*.md"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    run = mini.run(capsys)
    assert run.code == 0, run.log
    assert (mini.salida / "indice.pdf").is_file() and (mini.salida / "indice.docx").is_file()


def test_failure_while_rendering_leaves_previous_outputs(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    """The PDF is rendered, then the DOCX fails: neither output is replaced and no partial file appears."""
    (mini.root / "plantillas/referencia.docx").write_bytes(b"no es un docx")
    before = _previous_outputs(mini)
    run = mini.run(capsys, expect_warnings=True)
    assert run.code == 1
    assert "error: pandoc (DOCX) falló" in run.log
    assert snapshot(mini.salida) == before


def _cite_figure_from_second_part(project: Project, key: str) -> None:
    """Give the figure of the first part the id fig-punto and cite `@key` from the second part."""
    edit(project.root / "fuente/partes/segunda.md", "Texto de la segunda parte;", f"Véase la @{key}. Texto de la segunda parte;")
    edit(project.root / "fuente/partes/primera.md", "(../../imagenes/punto.png)", "(../../imagenes/punto.png){#fig-punto}")


def test_broken_cross_reference(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _cite_figure_from_second_part(mini, "fig-punt")
    _fails(
        mini, capsys,
        "fuente/partes/segunda.md:5: error: referencia a una figura, tabla o sección que no existe: @fig-punt [referencia.rota]",
        "sugerencia: ¿quiso decir @fig-punto?",
    )


def test_cross_reference_to_a_figure_in_another_part_gets_its_number(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    _cite_figure_from_second_part(mini, "fig-punto")
    assert mini.run(capsys).code == 0
    text = " ".join(pdf_text(mini.salida / "indice.pdf").split())
    assert re.search(r"Véase la Figura 1 \(pág\. \d+\)", text)
    assert "Figura 1. Un punto rojo" in text


def test_image_without_alt_text_is_an_error_in_an_official_edition_and_a_warning_in_a_draft(
    mini: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    edit(mini.root / "fuente/partes/primera.md", "![Un punto rojo]", "![]")
    run = mini.run(capsys, expect_warnings=True)  # the sample is "aprobado": an official edition
    assert run.code == 1
    assert (
        "fuente/partes/primera.md:7: error: la imagen ../../imagenes/punto.png no tiene texto alternativo: "
        "un lector de pantalla no podrá describirla [imagen.sin-alt]"
    ) in run.log
    assert "sugerencia: escriba una descripción entre los corchetes" in run.log
    edit(mini.root / "fuente/metadatos.toml", 'estado = "aprobado"', 'estado = "borrador"')
    draft = mini.run(capsys, expect_warnings=True)
    assert draft.code == 0 and len(draft.warnings) == 1
    assert "fuente/partes/primera.md:7: aviso: la imagen ../../imagenes/punto.png no tiene texto alternativo" \
        in draft.log


def test_missing_reference_odt_says_how_to_regenerate_it(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    (mini.root / "plantillas/referencia.odt").unlink()
    before = _previous_outputs(mini)
    run = mini.run(capsys, "odt")
    assert run.code == 1
    assert f"error: faltan plantillas en {mini.root / 'plantillas'}: referencia.odt" in run.log
    assert "sugerencia: regenere las referencias con: python build.py referencia" in run.log
    assert snapshot(mini.salida) == before


def test_revision_only_applies_to_the_docx(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    run = mini.run(capsys, "pdf", "--revision")
    assert run.code == 1
    assert "error: --revision no se aplica a la orden pdf" in run.log
    assert "sugerencia: use: python build.py docx --revision" in run.log
