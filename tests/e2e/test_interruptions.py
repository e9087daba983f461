"""A build killed at any moment leaves salida/ as it was and the cache sound, and no process of it goes on;
two builds at once do not collide."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import CORPUS, PROJECTS, REPO, Project, _copy_project, edit, snapshot


def _start(project: Project, cache: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), *args, "--fuente", str(project.master), "--salida", str(project.salida),
         "--plantillas", str(project.root / "plantillas"), "--cache", str(cache)],
        cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def _kill_after(process: subprocess.Popen[str], marker: str, delay: float) -> str:
    """Read the build's progress until marker appears, wait delay seconds, then SIGKILL it."""
    seen = []
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if marker in line:
            time.sleep(delay)
            break
    else:
        pytest.fail(f"la compilación terminó antes de «{marker}»:\n{''.join(seen)}")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, "la compilación terminó antes de poder matarla"
    return "".join(seen)


@pytest.fixture
def plan_copy(tmp_path: Path) -> Project:
    return Project(tmp_path / "plan", _copy_project(REPO, tmp_path / "plan", "fuente/plan.md"), tmp_path / "cache-a")


def test_sigkill_never_leaves_partial_files_or_a_broken_cache(plan_copy: Project, tmp_path: Path) -> None:
    good = _start(plan_copy, plan_copy.cache)
    assert good.wait(timeout=600) == 0, good.stdout.read() if good.stdout else ""
    before = snapshot(plan_copy.salida)
    assert set(before) == {"plan.pdf", "plan.docx"}
    cache = tmp_path / "cache-b"  # cold: the WMF really is being converted at the first kill
    for marker, delay in (("[2/4] preparando imágenes", 0.8), ("generando plan.pdf", 0.5), ("generando plan.docx", 0.05)):
        log = _kill_after(_start(plan_copy, cache), marker, delay)
        assert snapshot(plan_copy.salida) == before, f"salida/ cambió al matar en «{marker}»:\n{log}"
    # The next build with the same cache succeeds and gives exactly what the first, clean build gave.
    again = _start(plan_copy, cache)
    assert again.wait(timeout=600) == 0, again.stdout.read() if again.stdout else ""
    assert snapshot(plan_copy.salida) == before


def test_a_second_build_at_the_same_time_is_told_to_wait(plan_copy: Project, capsys: pytest.CaptureFixture[str]) -> None:
    first = _start(plan_copy, plan_copy.cache)
    assert first.stdout is not None
    for line in first.stdout:  # wait until the first build holds the lock
        if "[1/4]" in line:
            break
    run = plan_copy.run(capsys, "docx", expect_warnings=True)
    assert run.code == 1
    assert f"error: otra compilación de fuente/plan.md está en curso (proceso {first.pid})" in run.log
    assert "sugerencia: espere a que termine" in run.log
    assert first.wait(timeout=600) == 0
    assert plan_copy.run(capsys, "docx").code == 0  # once it is done, the lock is free again


def test_old_scratch_of_killed_builds_is_swept(tmp_path: Path) -> None:
    from imprenta.cache import Cache

    cache = Cache(tmp_path / "cache")
    old_dir = tmp_path / "cache/tmp/abandonada"
    old_dir.mkdir(parents=True)
    (old_dir / "plan.pdf").write_bytes(b"medio")
    old_file = tmp_path / "cache/svg-png/.tmp-abc.png"
    old_file.parent.mkdir(parents=True)
    old_file.write_bytes(b"medio")
    recent = tmp_path / "cache/tmp/en-curso"
    recent.mkdir()
    day_ago = time.time() - 2 * 24 * 3600
    for path in (old_dir, old_file):
        os.utime(path, (day_ago, day_ago))
    assert cache.sweep() == 2
    assert not old_dir.exists() and not old_file.exists() and recent.exists()


# Every process a build starts inherits its environment: this variable finds them all in /proc, grandchildren too.
MARK = "IMPRENTA_PRUEBA_PROCESOS"


def _marked(token: str) -> list[tuple[int, str]]:
    """(pid, command line) of every live process that carries the mark."""
    found = []
    wanted = f"{MARK}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if wanted not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        found.append((int(entry.name), command))
    return found


def _big_part(root: Path, megabytes: float) -> None:
    paragraph = "Texto de relleno con palabras corrientes para que pandoc tarde en leerlo. " * 12
    count = int(megabytes * 1024 * 1024 / len(paragraph))
    (root / "fuente/partes/segunda.md").write_text(
        "# Segunda parte\n\n## Detalle\n\n" + "\n\n".join(paragraph for _ in range(count)) + "\n", encoding="utf-8")


def _project(tmp_path: Path, stage: str) -> Project:
    root = tmp_path / "proyecto"
    project = Project(root, _copy_project(PROJECTS / "mini", root, "fuente/indice.md"), tmp_path / "cache")
    if stage == "pandoc":
        _big_part(root, 3.0)  # pandoc reads it for seconds
    elif stage == "weasyprint":
        _big_part(root, 0.3)  # dozens of pages, laid out in worker processes (IMPRENTA_PROCESOS=2)
    else:  # a metafile in a cold cache: LibreOffice converts it
        shutil.copy(CORPUS / "images/libwmf__ant.wmf", root / "imagenes/hormiga.wmf")
        edit(root / "fuente/partes/primera.md", "../../imagenes/punto.png", "../../imagenes/hormiga.wmf")
    return project


# What shows that the build is in the middle of each stage: one of its children by name.
STAGES = {
    "pandoc": lambda cmd: "pypandoc/files/pandoc" in cmd,
    "weasyprint": lambda cmd: "forkserver" in cmd,
    "libreoffice": lambda cmd: "soffice" in cmd or "oosplash" in cmd,
}


@pytest.mark.parametrize("stage", list(STAGES))
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=["SIGTERM", "SIGINT", "SIGKILL"])
def test_no_process_outlives_a_stopped_build(tmp_path: Path, stage: str, signum: int) -> None:
    project = _project(tmp_path, stage)
    token = uuid.uuid4().hex
    env = {**os.environ, MARK: token, "PYTHONUNBUFFERED": "1", "IMPRENTA_PROCESOS": "2"}
    build = subprocess.Popen(
        [sys.executable, str(REPO / "build.py"), "pdf", "--fuente", str(project.master), "--salida", str(project.salida),
         "--plantillas", str(project.root / "plantillas"), "--cache", str(project.cache)],
        cwd=project.root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(STAGES[stage](cmd) for pid, cmd in _marked(token) if pid != build.pid):
            assert build.poll() is None, f"la compilación terminó antes de llegar a {stage}: {build.stdout.read()!r}"
            assert time.monotonic() < deadline, f"la compilación no llegó a {stage}"
            time.sleep(0.02)
        if stage == "weasyprint":  # the server and at least one worker that it forked
            while sum("forkserver" in cmd for _, cmd in _marked(token)) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
        build.send_signal(signum)
        log = build.communicate(timeout=60)[0].decode("utf-8", "replace")
    finally:
        if build.poll() is None:
            build.kill()
    if signum == signal.SIGKILL:
        assert build.returncode == -signal.SIGKILL
    else:
        assert build.returncode == 130, log
        assert "interrumpido; no se escribió nada en la salida" in log
        assert "Traceback" not in log
    left: list[tuple[int, str]] = []
    for _ in range(100):  # children killed with their parent are gone within moments
        left = _marked(token)
        if not left:
            break
        time.sleep(0.1)
    assert not left, f"procesos que sobrevivieron a la compilación: {left}"
    assert not project.salida.exists()
    assert not list((project.cache / "tmp").glob("*")) or signum == signal.SIGKILL  # scratch removed unless killed
