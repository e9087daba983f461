"""Hostile input: nothing outside the project or on the network reaches an output, bombs are refused, the
source linter reports (and never edits), and damaged images give a message, never a traceback."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from PIL import Image

from imprenta import cli

from conftest import CORPUS, REPO, Project, edit, snapshot


def _fails(project: Project, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    project.salida.mkdir(exist_ok=True)
    (project.salida / "indice.pdf").write_bytes(b"%PDF anterior")
    before = snapshot(project.salida)
    run = project.run(capsys, *args, expect_warnings=True)
    assert run.code == 1, run.log
    assert "Traceback" not in run.log
    assert snapshot(project.salida) == before
    return run.log


def test_files_outside_the_project_and_the_network_are_refused(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    (mini.root.parent / "secreto.png").write_bytes((mini.root / "imagenes/punto.png").read_bytes())
    edit(mini.root / "fuente/partes/segunda.md", "# Segunda parte", "\n".join([
        "# Segunda parte",
        "",
        "![clave](/etc/passwd)",
        "",
        "![secreto](../../../secreto.png)",
        "",
        "![remota](http://example.org/logo.png)",
        "",
        '<img src="file:///etc/passwd">',
        "",
        'Texto <span style="background: url(file:///etc/hosts)">marcado</span>.',
        "",
        "```{=openxml}",
        "<w:p><w:r><w:t>crudo</w:t></w:r></w:p>",
        "```",
    ]))
    log = _fails(mini, capsys)
    for line in (
        "fuente/partes/segunda.md:3: error: imagen fuera del proyecto: /etc/passwd [imagen.fuera]",
        "fuente/partes/segunda.md:5: error: imagen fuera del proyecto: ../../../secreto.png [imagen.fuera]",
        "fuente/partes/segunda.md:7: error: imagen externa no permitida: http://example.org/logo.png [imagen.remota]",
        # An <img> of raw HTML is an image like any other: one that reads outside the project is refused as such.
        "fuente/partes/segunda.md:9: error: imagen externa no permitida: file:///etc/passwd [imagen.remota]",
        'fuente/partes/segunda.md:11: error: atributo no permitido: style="background: url(file:///etc/hosts)" [fuente.html]',
        "fuente/partes/segunda.md:14: error: bloque en bruto de formato openxml no permitido [fuente.bruto]",
    ):
        assert line in log, f"falta:\n{line}\nen:\n{log}"


def test_harmless_inline_html_passes_through(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/partes/primera.md", "Texto de la primera parte", "H<sub>2</sub>O y m<sup>2</sup>: texto de la primera parte")
    assert mini.run(capsys, "pdf").code == 0


def test_the_pdf_fetcher_serves_only_the_document_and_its_templates(mini: Project) -> None:
    from imprenta.formats.pdf.layout import BODY, Job, _fetcher

    templates = mini.root / "plantillas"
    fetcher = _fetcher(Job("", BODY, templates.as_uri() + "/", str(templates), ()))
    assert fetcher.fetch((templates / "emblema.svg").as_uri()) is not None
    for url in ("file:///etc/passwd", (mini.root / "fuente/indice.md").as_uri(), "http://example.org/x.png",
                "https://example.org/x.css", "ftp://example.org/x", "imprenta:desconocida.png"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


def test_decompression_bomb_is_refused(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    bomb = Image.new("1", (20000, 20000))  # 400 megapixels of nothing: a few kilobytes on disk
    bomb.save(mini.root / "imagenes/punto.png", optimize=True)
    assert (mini.root / "imagenes/punto.png").stat().st_size < 200_000
    log = _fails(mini, capsys)
    assert "punto.png: la imagen declara dimensiones enormes y se rechaza por seguridad" in log


def test_svg_claiming_kilometres_is_refused(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    svg = mini.root / "imagenes/plano.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="5000000cm" height="10cm"/>', encoding="utf-8")
    edit(mini.root / "fuente/partes/primera.md", "../../imagenes/punto.png", "../../imagenes/plano.svg")
    log = _fails(mini, capsys)
    assert "el encabezado del SVG declara un tamaño imposible" in log


VALID = [CORPUS / "images/pillow__hopper_orientation_6.jpg", CORPUS / "images/pillow__pil123p.png",
         REPO / "imagenes/linea_de_tiempo.svg", CORPUS / "images/libwmf__ant.wmf", CORPUS / "images/poi__wrench.emf"]


@pytest.mark.parametrize("source", VALID, ids=lambda p: p.name)
def test_damaged_copies_of_valid_images_give_a_message(source: Path, mini: Project,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    data = source.read_bytes()
    rng = random.Random(source.name)  # the same cuts on every run
    target = mini.root / "imagenes" / f"dañada{source.suffix}"
    edit(mini.root / "fuente/partes/primera.md", "../../imagenes/punto.png", f"../../imagenes/{target.name}")
    for kind in ("cut", "cut", "flip"):
        damaged = bytearray(data)
        if kind == "cut":
            damaged = damaged[: rng.randrange(1, len(data) - 1)]
        else:
            for _ in range(40):
                damaged[rng.randrange(len(data) // 4, len(data))] ^= 0xFF
        target.write_bytes(bytes(damaged))
        run = mini.run(capsys, "docx", expect_warnings=True)
        assert "Traceback" not in run.log
        if run.code != 0:  # some damage is survivable; what is not must be said plainly, with the file
            assert f"fuente/partes/primera.md:7: error: {target.name}" in run.log, run.log
            assert "sugerencia:" in run.log


def test_linter_reports_each_problem_with_file_line_and_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = tmp_path / "proyecto"
    shutil.copytree(REPO / "tests/proyectos/mini/fuente", root / "fuente")
    shutil.copytree(REPO / "tests/proyectos/mini/imagenes", root / "imagenes")
    shutil.copytree(REPO / "plantillas", root / "plantillas")
    edit(root / "fuente/partes/primera.md", "Texto de la primera parte", "\n".join([
        "Texto de de la parte, que debeRÁ revisarse en sus de sus planes  con **énfasis sin cerrar.",
        "",
        "#### Nivel saltado",
        "",
        "## Detalle",
        "",
        "Texto",
    ]))
    (root / "fuente/partes/olvidada.md").write_text("# Olvidada\n", encoding="utf-8")
    before = snapshot(root / "fuente")
    capsys.readouterr()
    code = cli.main(["revisar", "--fuente", str(root / "fuente/indice.md"), "--plantillas", str(root / "plantillas")])
    log = capsys.readouterr().err
    assert code == 0  # warnings only
    path = f"{root}/fuente/partes"
    for line in (
        f"{path}/primera.md:5: aviso: palabra repetida: «de de» [estilo.repetida]",
        f"{path}/primera.md:5: aviso: palabras repetidas: «en sus de sus» [estilo.repetida]",
        f"{path}/primera.md:5: aviso: mayúscula dentro de una palabra: «debeRÁ» [estilo.mayusculas]",
        f"{path}/primera.md:5: aviso: dos espacios seguidos [estilo.espacios]",
        f"{path}/primera.md:5: aviso: énfasis sin cerrar: hay un «**» sin pareja [estilo.enfasis]",
        f"{path}/primera.md:7: aviso: el título «Nivel saltado» salta del nivel 2 al 4 [titulos.salto]",
        f"{path}/primera.md:9: aviso: título repetido: «Detalle» ya está en la línea 3",
        f"{path}/olvidada.md:1: aviso: esta parte no figura en la lista del documento maestro: no se publica [partes.sin-listar]",
    ):
        assert line in log, f"falta:\n{line}\nen:\n{log}"
    assert "revisión: 0 errores y 8 avisos en 3 archivos" in log
    assert snapshot(root / "fuente") == before  # it reports; it never edits a source
    capsys.readouterr()
    assert cli.main(["revisar", "--estricto", "--fuente", str(root / "fuente/indice.md"),
                     "--plantillas", str(root / "plantillas")]) == 1
    # The build runs the same checks, and --estricto makes them stop it.
    assert cli.main(["docx", "--estricto", "--fuente", str(root / "fuente/indice.md"), "--salida", str(root / "salida"),
                     "--plantillas", str(root / "plantillas"), "--cache", str(tmp_path / "cache")]) == 1
    assert not (root / "salida/indice.docx").exists()


def test_linter_on_the_plan_finds_the_seed_slips(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    capsys.readouterr()
    assert cli.main(["revisar"]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if ": aviso: " in line or ": error: " in line]
    assert lines == [
        "fuente/plan.md:42: aviso: palabras repetidas: «en sus de sus» [estilo.repetida]",
        "fuente/plan.md:42: aviso: mayúscula dentro de una palabra: «debeRÁ» [estilo.mayusculas]",
        "fuente/plan.md:42: aviso: dos espacios seguidos [estilo.espacios]",
    ]


def test_linter_on_loose_files_checks_links_anchors_and_images(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.md").write_text("\n".join([
        "# Uno",
        "",
        "[bien](b.md#dos) [mal](b.md#tres) [roto](c.md) [externo](https://example.org) [(paréntesis)](b_(x).md)",
        "",
        "![](falta.png)",
    ]) + "\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Dos\n", encoding="utf-8")
    (tmp_path / "b_(x).md").write_text("# Equis\n", encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["revisar", str(tmp_path)]) == 1
    log = capsys.readouterr().err
    # The same checks, and the same messages, as in a build (one link checker: the assembler's).
    assert (f"{tmp_path}/a.md:3: error: el enlace b.md#tres apunta a un encabezado que no existe en {tmp_path}/b.md"
            " [enlace.ancla]") in log
    assert f"{tmp_path}/a.md:3: error: enlace roto: no existe {tmp_path}/c.md [enlace.roto]" in log
    assert f"{tmp_path}/a.md:5: error: imagen no encontrada: falta.png [imagen.falta]" in log
    assert f"{tmp_path}/a.md:5: aviso: la imagen falta.png no tiene texto alternativo: " in log
    assert "b.md#dos" not in log and "example.org" not in log and "b_(x).md" not in log


def test_impossible_file_names_are_missing_files_not_crashes(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    long_name = "x" * 300
    edit(mini.root / "fuente/partes/primera.md", "../../imagenes/punto.png", f"../../imagenes/{long_name}.png")
    edit(mini.root / "fuente/partes/segunda.md", "# Segunda parte", f"# Segunda parte\n\n[enlace](otra/{long_name}.md)")
    log = _fails(mini, capsys)
    assert f"fuente/partes/primera.md:7: error: imagen no encontrada: ../../imagenes/{long_name}.png [imagen.falta]" in log
    assert "enlace roto" in log


def test_raw_html_is_content_but_what_loads_or_runs_is_refused(mini: Project, capsys: pytest.CaptureFixture[str]) -> None:
    edit(mini.root / "fuente/partes/segunda.md", "# Segunda parte", "\n".join([
        "# Segunda parte",
        "",
        '<table style="width:100%"><tr><td align="right" style="color: #333">celda</td></tr></table>',
        "",
        "<table>",
        '<tr><td onclick="robar()">a</td></tr>',
        "</table>",
        "",
        'Texto <span style="color: red">rojo</span> y H<sub>2</sub>O.',
    ]))
    log = _fails(mini, capsys)
    assert "fuente/partes/segunda.md:6: error: HTML no permitido: «onclick=» puede cargar o ejecutar contenido" in log
    assert log.count(": error: ") == 1, log  # presentation (style, align) is not refused
