"""`--vigilar`: a saved change triggers a rebuild; a failed build is reported and the watch goes on."""

from __future__ import annotations

import logging
import re
import threading
import time

import pytest

from imprenta.config import Config
from imprenta.errors import ConfigError
from imprenta.watch import watch, watched_folders

from conftest import Project


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


def test_vigilar_from_the_command_line(mini: Project) -> None:
    import os
    import signal
    import subprocess
    import sys

    from conftest import REPO

    process = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "--vigilar", "--fuente", str(mini.master), "--salida", str(mini.salida),
         "--plantillas", str(mini.root / "plantillas"), "--cache", str(mini.cache)],
        cwd=mini.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    watchdog = threading.Timer(180, process.kill)  # a watch that never rebuilds fails the test, never hangs it
    watchdog.start()
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        if line.startswith("vigilando"):
            break
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
