"""Property-based fuzzing: random Markdown (nesting, tables, links, notes, RTL, combining marks, emoji, control
characters) either builds with every heading in both outputs, or fails with a clear message; never a traceback
or a hang. CI runs a bounded number of examples (IMPRENTA_FUZZ_EJEMPLOS to run more)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import pikepdf
import pytest
from docx import Document as open_docx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROJECTS, REPO

EXAMPLES = int(os.environ.get("IMPRENTA_FUZZ_EJEMPLOS", "10"))
SECONDS_PER_CASE = 180
# The same examples on every run unless IMPRENTA_FUZZ_ALEATORIO is set; slow cases are expected (real builds).
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="IMPRENTA_FUZZ_ALEATORIO" not in os.environ,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large])

# Words for headings: letters from several scripts, with combining marks; what a title really holds.
LETTERS = "abcdefghijklmnopqrstuvwxyzáéíóúñü" + "ABCDEFGHIJKLMNOPQRSTUVWXYZÁÉÑ" + "שלוםעברית" + "مرحباعربي" + "ǎñ"
word = st.text(alphabet=LETTERS, min_size=1, max_size=9).map(lambda w: unicodedata.normalize("NFC", w))
heading_text = st.lists(word, min_size=1, max_size=4).map(" ".join)
# Prose may hold anything: emoji, right-to-left marks, combining accents, control characters, Markdown syntax.
HOSTILE = ["😀", "👩🏽‍💻", "\u200f", "\u202e", "\u0301", "\u0000", "\u0007", "\u000b", "\ufeff", "*", "_", "`", "[", "]",
           "<", ">", "&", "|", "#", "\\", "{", "}", "$", "@"]
prose_piece = st.one_of(word, st.sampled_from(HOSTILE), st.text(min_size=1, max_size=5))
prose = st.lists(prose_piece, min_size=1, max_size=12).map(" ".join)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A master document and the heading texts it holds, in order."""
    lines: list[str] = []
    headings: list[str] = []
    notes = 0
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["heading", "para", "list", "table", "note", "link", "quote"]))
        if kind == "heading" or not headings:
            text = draw(heading_text)
            headings.append(text)
            lines += [f"{'#' * draw(st.integers(1, 4))} {text}", ""]
        if kind == "para":
            lines += [draw(prose), ""]
        elif kind == "list":
            for depth in draw(st.lists(st.integers(0, 2), min_size=1, max_size=5)):
                lines.append("  " * depth * 2 + f"- {draw(prose)}")
            lines.append("")
        elif kind == "table":
            columns = draw(st.integers(1, 4))
            lines.append("| " + " | ".join(draw(word) for _ in range(columns)) + " |")
            lines.append("|" + "---|" * columns)
            for _ in range(draw(st.integers(0, 4))):
                lines.append("| " + " | ".join(draw(word) for _ in range(columns)) + " |")
            lines.append("")
        elif kind == "note":
            notes += 1
            lines += [f"{draw(prose)}[^n{notes}]", "", f"[^n{notes}]: {draw(prose)}", ""]
        elif kind == "link":
            target = draw(st.sampled_from(["#" + draw(word).lower(), "https://example.org", "otra.md", "#"]))
            lines += [f"Véase [{draw(word)}]({target}).", ""]
        elif kind == "quote":
            lines += [f"> {draw(prose)}", ""]
    return "\n".join(lines) + "\n", headings


def _squeeze(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture(scope="module")
def project_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(PROJECTS / "mini" / "fuente", root / "fuente")
    shutil.copytree(REPO / "plantillas", root / "plantillas")
    for extra in list((root / "fuente").rglob("*.md")):
        extra.unlink()
    return root


@FUZZ
@given(document=documents())
def test_random_markdown_builds_or_fails_clearly(project_root: Path, document: tuple[str, list[str]]) -> None:
    text, headings = document
    master = project_root / "fuente" / "indice.md"
    master.write_text(text, encoding="utf-8")
    salida = project_root / "salida"
    shutil.rmtree(salida, ignore_errors=True)
    try:
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "--fuente", str(master), "--salida", str(salida),
             "--plantillas", str(project_root / "plantillas"), "--cache", str(project_root / ".cache")],
            cwd=project_root, capture_output=True, text=True, timeout=SECONDS_PER_CASE,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"la compilación no terminó en {SECONDS_PER_CASE} s con:\n{text}")
    log = result.stdout + result.stderr
    assert "Traceback" not in log, f"traza en lugar de un mensaje:\n{log}\n--- fuente ---\n{text}"
    if result.returncode != 0:
        assert result.returncode == 1
        problems = [line for line in log.splitlines() if ": error: " in line or line.startswith("error: ")]
        assert problems, f"falló sin decir por qué:\n{log}"
        assert "sugerencia:" in log
        assert not salida.exists() or not any(salida.iterdir())
        return
    with pikepdf.open(salida / "indice.pdf") as pdf, pdf.open_outline() as outline:
        titles: list[str] = []
        stack = list(outline.root)
        while stack:
            item = stack.pop(0)
            titles.append(_squeeze(item.title))
            stack[:0] = list(item.children)
    docx = open_docx(str(salida / "indice.docx"))
    docx_headings = [_squeeze(p.text) for p in docx.paragraphs if p.style.name.startswith("Heading")]
    for heading in headings:
        assert _squeeze(heading) in titles, (heading, titles)
        assert _squeeze(heading) in docx_headings, (heading, docx_headings)


# Structures that made the tools recurse, loop or swell: deep nesting of quotes and lists, long runs of brackets
# and emphasis marks, tables of many rows. Each case is checked with `revisar` (reading, parsing and every check
# of a build, without the layout): it must answer within seconds, with no traceback.
HOSTILE_SECONDS = 60


@st.composite
def hostile_documents(draw: st.DrawFn) -> str:
    pieces = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["nesting", "brackets", "inline", "table"]))
        if kind == "nesting":
            markers = draw(st.lists(st.sampled_from(["> ", "- ", "1. ", "* "]), min_size=1, max_size=4))
            depth = draw(st.integers(1, 400))
            pieces.append("".join(markers[i % len(markers)] for i in range(depth)) + draw(word))
        elif kind == "brackets":
            opening = draw(st.sampled_from(["[", "(", "[(", "!["]))
            depth = draw(st.integers(1, 3000))
            pieces.append(opening * depth + draw(word) + "]" * draw(st.integers(0, depth)))
        elif kind == "inline":
            marks = draw(st.sampled_from(["*", "_", "`", "<", "~~", "**_", "[^", "$"]))
            pieces.append(" ".join(marks * draw(st.integers(1, 300)) + draw(word) for _ in range(draw(st.integers(1, 50)))))
        else:
            rows = draw(st.sampled_from([10, 1000, 6000, 20_000]))
            pieces.append("| a | b |\n|---|---|\n" + "\n".join(f"| {i} | x |" for i in range(rows)))
    return "# Título\n\n" + "\n\n".join(pieces) + "\n"


@FUZZ
@given(text=hostile_documents())
def test_hostile_structure_is_answered_quickly_and_clearly(project_root: Path, text: str) -> None:
    master = project_root / "fuente" / "indice.md"
    master.write_text(text, encoding="utf-8")
    try:
        result = subprocess.run(
            [sys.executable, str(REPO / "build.py"), "revisar", "--fuente", str(master),
             "--plantillas", str(project_root / "plantillas"), "--cache", str(project_root / ".cache-hostil")],
            cwd=project_root, capture_output=True, text=True, timeout=HOSTILE_SECONDS,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"revisar no terminó en {HOSTILE_SECONDS} s con:\n{text[:2000]}")
    log = result.stdout + result.stderr
    assert "Traceback" not in log, f"traza en lugar de un mensaje:\n{log[-3000:]}"
    assert result.returncode in (0, 1), log[-3000:]
    if result.returncode == 1:
        assert ": error: " in log and "sugerencia:" in log, log[-3000:]
