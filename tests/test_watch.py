"""`--vigilar`: a saved change triggers a rebuild; a failed build is reported and the watch goes on."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from imprenta.config import Config
from imprenta.errors import ConfigError
from imprenta.watch import watch, watched_folders

from conftest import REPO, Project


def _config(project: Project) -> Config:
    return Config(root=project.root, master=project.master, output_dir=project.salida,
                  templates_dir=project.root / "plantillas", cache_dir=project.cache)


def _wait_for(condition, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_watch_rebuilds_on_change_and_survives_a_failure(mini: Project, caplog: pytest.LogCaptureFixture) -> None:
    config = _config(mini)
    assert {p.name for p in watched_folders(config)} == {"fuente", "imagenes", "plantillas"}
    calls: list[float] = []
    fail = threading.Event()

    def build_once() -> None:
        calls.append(time.monotonic())
        if fail.is_set():
            raise ConfigError("algo falló", "corríjalo")

    stop = threading.Event()
    caplog.set_level(logging.INFO, logger="imprenta")
    thread = threading.Thread(target=watch, args=(config, build_once, stop, 0.05))
    thread.start()
    try:
        assert _wait_for(lambda: len(calls) == 1)
        time.sleep(0.2)
        assert len(calls) == 1  # nothing changed: no rebuild
        fail.set()
        (mini.root / "fuente/partes/primera.md").write_text("# Cambiada\n\nTexto.\n", encoding="utf-8")
        assert _wait_for(lambda: len(calls) == 2)
        assert _wait_for(lambda: "error: algo falló" in caplog.text)
        fail.clear()
        (mini.root / "plantillas/estilo.css").write_text("p { color: black; }\n", encoding="utf-8")
        assert _wait_for(lambda: len(calls) == 3)
        assert "cambió plantillas/estilo.css" in caplog.text or "estilo.css" in caplog.text
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _start_watching(project: Project, port: str) -> tuple[subprocess.Popen[str], threading.Timer, list[str]]:
    """`build.py --vigilar` on the project, read until it watches; a watch that hangs is killed, never the suite."""
    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--vigilar", "--puerto", port, "--fuente", str(project.master),
         "--salida", str(project.salida), "--plantillas", str(project.root / "plantillas"), "--cache", str(project.cache)],
        cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    watchdog = threading.Timer(300, process.kill)
    watchdog.start()
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("vigilando"):
            break
    return process, watchdog, lines


def test_vigilar_from_the_command_line(mini: Project) -> None:
    process, watchdog, lines = _start_watching(mini, "-1")
    assert process.stdout is not None
    first = (mini.salida / "indice.pdf").read_bytes()
    with (mini.root / "fuente/partes/primera.md").open("a", encoding="utf-8") as fh:
        fh.write("\nUn párrafo añadido mientras se vigila.\n")
    for line in process.stdout:
        lines.append(line)
        if line.startswith("listo en"):
            break
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    watchdog.cancel()
    log = "".join(lines) + rest
    assert process.returncode == 0, log
    assert "cambió fuente/partes/primera.md: se vuelve a compilar" in log
    assert "fin de la vigilancia" in log
    assert (mini.salida / "indice.pdf").read_bytes() != first


def test_progress_of_the_layout_is_shown(mini: Project, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPRENTA_PROGRESO", "1")
    run = mini.run(capsys, "pdf")
    assert run.code == 0
    assert re.search(r"maquetando indice\.pdf: \d+ páginas \(\d+ s\)", run.log), run.log
    assert "listo en " in run.log and "indice.pdf " in run.log.split("listo en ")[1]  # the stage's own time


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="falta Chromium: bash probar.sh instala el paquete chromium")
def test_the_preview_shows_an_edited_part_before_the_whole_build(mini: Project) -> None:
    """--vigilar serves the web edition on loopback; a browser on a part's page reloads by itself when the part is
    saved, first with the page rewritten from that part alone, then with the whole build's edition."""
    import json

    from playwright.sync_api import sync_playwright

    process, watchdog, lines = _start_watching(mini, "0")
    url = next(m.group(1) for line in lines if (m := re.match(r"vista previa: (http://127\.0\.0\.1:\d+/)", line)))
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)  # type: ignore[arg-type]
    reader.start()
    manifest = json.loads((mini.salida / "indice-web/sitio.json").read_text(encoding="utf-8"))
    page_file = manifest["partes"]["partes/primera.md"]["pagina"]
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            errors: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(url + page_file, wait_until="networkidle")
            assert "Texto de la primera parte" in page.inner_text("main")
            reloads: list[str] = []
            page.on("load", lambda: reloads.append(page.url))

            part = mini.root / "fuente/partes/primera.md"
            part.write_text(part.read_text(encoding="utf-8") + "\nUn párrafo escrito con la vista previa abierta.\n",
                            encoding="utf-8")
            # No click, no reload by hand: the page hears of the change and reloads itself.
            page.get_by_text("Un párrafo escrito con la vista previa abierta.").wait_for(timeout=60_000)
            assert _wait_for(lambda: sum(line.startswith("listo en") for line in lines) == 2, 120)
            for _ in range(300):  # Playwright hands events over only while it is called: wait through it
                if len(reloads) >= 2:
                    break
                page.wait_for_timeout(100)
            assert len(reloads) >= 2, reloads  # the preview, then the whole build's edition
            log = "".join(lines)
            shown = log.index(f"vista previa: {page_file} actualizada en")
            assert shown < log.rindex("listo en")  # the part was shown before the whole build ended
            page.get_by_text("Un párrafo escrito con la vista previa abierta.").wait_for(timeout=30_000)
            # What the page holds works: the link back to the master's heading, the figure.
            href = page.get_by_role("link", name="introducción").get_attribute("href")
            assert href == "index.html#introduccion"
            assert page.eval_on_selector("main img", "i => i.complete && i.naturalWidth > 0")
            assert not errors, errors  # the reload script and its event stream pass the pages' CSP
            browser.close()
        # The reload script is added as the page is served: the published edition has none of it.
        assert "_imprenta" not in (mini.salida / "indice-web" / page_file).read_text(encoding="utf-8")
        # A change to the master is not a part alone on its page: only the whole build shows it.
        mini.master.write_text(mini.master.read_text(encoding="utf-8") + "\nOtro párrafo del maestro.\n",
                               encoding="utf-8")
        assert _wait_for(lambda: sum(line.startswith("listo en") for line in lines) == 3, 120)
        assert "".join(lines).count("actualizada en") == 1
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)
        watchdog.cancel()
    assert process.returncode == 0, "".join(lines)


def test_the_preview_leaves_a_part_that_lists_others_to_the_whole_build(mini: Project) -> None:
    """A part read alone loses the parts it lists: its page (and theirs) is only shown by the whole build."""
    import json

    from imprenta.preview import Preview

    from conftest import rebuild

    partes = mini.root / "fuente/partes"
    (partes / "tercera.md").write_text("# Tercera\n\nTexto de la tercera, listada por la segunda.\n", encoding="utf-8")
    segunda = partes / "segunda.md"
    segunda.write_text(segunda.read_text(encoding="utf-8") + "\n* [Tercera](tercera.md)\n", encoding="utf-8")
    rebuild(mini, "html")
    manifest = json.loads((mini.salida / "indice-web/sitio.json").read_text(encoding="utf-8"))
    assert {name: entry["sola"] for name, entry in manifest["partes"].items()} == {
        "partes/primera.md": True, "partes/segunda.md": False, "partes/tercera.md": False}
    preview = Preview(_config(mini), 0)
    try:
        preview.published(mini.salida / "indice-web")
        assert preview.show_parts([partes / "tercera.md"]) is False
        assert preview.show_parts([partes / "primera.md"]) is True
    finally:
        preview.close()
