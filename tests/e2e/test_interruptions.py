"""A build killed at any moment leaves salida/ as it was and the cache sound; two builds at once do not collide."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, Project, _copy_project, snapshot


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
