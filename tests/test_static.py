"""The code itself: ruff's rule set passes, and the package's import graph has no circle and keeps its layers."""

from __future__ import annotations

import ast
import subprocess
import sys

from conftest import REPO

PACKAGE = REPO / "imprenta"


def test_ruff_passes() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "imprenta", "tests", "bench", "build.py"],
                            cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _module_name(path) -> str:  # noqa: ANN001 - a Path
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Each module of the package and the package modules it imports, at any depth of its code (lazy ones too)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join([*base, node.module] if node.module else base)
                else:
                    target = node.module or ""
                candidates = [target] + [f"{target}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                candidates = [alias.name for alias in node.names]
            else:
                continue
            found.update(c for c in candidates if c in modules and c != name)
        graph[name] = found
    return graph


def test_the_import_graph_has_no_circle() -> None:
    graph = _imports()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        path.append(name)
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                raise AssertionError("círculo de importaciones: " + " → ".join([*path[path.index(target):], target]))
            if target not in state:
                visit(target)
        path.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)


def test_only_commands_that_build_import_the_pipeline() -> None:
    users = sorted(name for name, targets in _imports().items() if "imprenta.pipeline" in targets)
    # The build command, `cambios` (which renders) and `importar` (which rebuilds the DOCX to prove the import).
    assert users == ["imprenta.cli", "imprenta.importing", "imprenta.review.answers", "imprenta.review.rounds",
                     "imprenta.review.versions"]


def test_images_and_sources_do_not_depend_on_the_formats() -> None:
    graph = _imports()
    for name, targets in graph.items():
        if name.startswith(("imprenta.images", "imprenta.source", "imprenta.templates")):
            assert not any(t.startswith("imprenta.formats") for t in targets), (name, targets)
