"""The benchmark runs: its quick mode builds a small document both ways and prints its table (no timing asserted)."""

from __future__ import annotations

import subprocess
import sys

from conftest import REPO


def test_benchmark_quick_mode_prints_its_table() -> None:
    result = subprocess.run([sys.executable, str(REPO / "bench/comparar.py"), "--rapido"], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["tamaño", "págs.", "escenario", "reloj", "s", "CPU", "s", "memoria", "MB",
                                "reloj/ingenuo", "memoria/ingenuo"]
    scenarios = [line.split()[2] for line in lines[1:6]]
    assert scenarios == ["ingenuo", "completa", "mismo-estilo", "sin-cambios", "un-parrafo"]
    for line in lines[1:6]:
        wall, cpu, memory = (float(v) for v in line.split()[3:6])
        assert wall > 0 and memory > 0 and cpu > 0
    assert lines[7].startswith("(medianas de 1 ronda; órdenes alternadas;")
    assert lines[8].startswith("4 págs.: completa/ingenuo ") and "completa/mismo-estilo" in lines[8]


def test_benchmark_refuses_unknown_arguments() -> None:
    result = subprocess.run([sys.executable, str(REPO / "bench/comparar.py"), "--rapidísimo"], cwd=REPO,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "uso: python bench/comparar.py" in result.stderr
