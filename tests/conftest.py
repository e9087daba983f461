"""Fixtures: real projects copied into tmp_path, a shared conversion cache, and a build helper that reads the log."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from imprenta import cli

REPO = Path(__file__).resolve().parent.parent
# Real inputs from other projects, copied from ../shared/corpus/ with their sources and licences (SOURCES.md):
# the suite reads only files inside the repository.
CORPUS = REPO / "tests/corpus"
PROJECTS = Path(__file__).resolve().parent / "proyectos"
# "debeRÁ", "en sus de sus" and a double space: the seed's own typos, which the linter reports on every build.
SEED_SLIPS = "fuente/plan.md:42: aviso: "


@dataclass
class Run:
    """A finished run of the command line: exit code and everything it printed."""

    code: int
    log: str

    @property
    def warnings(self) -> list[str]:
        """Warnings, except the three slips of the seed plan's line 42 (kept: plan.md is the seed as given)."""
        return [line for line in self.log.splitlines() if ": aviso: " in line and not line.startswith(SEED_SLIPS)]


@dataclass
class Project:
    """A project laid out like the real one, in a temporary folder."""

    root: Path
    master: Path
    cache: Path

    @property
    def salida(self) -> Path:
        return self.root / "salida"

    def run(self, capsys: pytest.CaptureFixture[str], *args: str, expect_warnings: bool = False) -> Run:
        """Run `build.py` on this project; fail on warnings unless they are expected."""
        argv = [
            *args,
            "--fuente", str(self.master),
            "--salida", str(self.salida),
            "--plantillas", str(self.root / "plantillas"),
            "--cache", str(self.cache),
        ]
        capsys.readouterr()
        previous = Path.cwd()
        os.chdir(self.root)  # as a user runs it: from the project root, so paths print as fuente/...
        try:
            code = cli.main(argv)
        finally:
            os.chdir(previous)
        captured = capsys.readouterr()
        run = Run(code, captured.out + captured.err)
        if not expect_warnings:
            assert not run.warnings, f"avisos inesperados:\n{run.log}"
        return run


def _copy_project(src: Path, dest: Path, master: str) -> Path:
    for folder in ("fuente", "imagenes"):
        if (src / folder).exists():
            shutil.copytree(src / folder, dest / folder)
    shutil.copytree(REPO / "plantillas", dest / "plantillas")
    return dest / master


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion cache for the session: conversions are keyed by content, so sharing is safe."""
    return tmp_path_factory.mktemp("cache")


@pytest.fixture
def plan(tmp_path: Path, shared_cache: Path) -> Project:
    """The real plan (fuente/, imagenes/, plantillas/) copied into tmp_path."""
    return Project(tmp_path, _copy_project(REPO, tmp_path, "fuente/plan.md"), shared_cache)


@pytest.fixture
def mini(tmp_path: Path, shared_cache: Path) -> Project:
    """A tiny two-part project with one PNG, for fast error and behaviour tests."""
    return Project(tmp_path, _copy_project(PROJECTS / "mini", tmp_path, "fuente/indice.md"), shared_cache)


@pytest.fixture(scope="session")
def built_plan(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Project:
    """The real plan built once for the whole session: PDF, DOCX, the annotation copy and the ODT."""
    project = build_project(tmp_path_factory.mktemp("plan"), REPO, "fuente/plan.md", shared_cache)
    rebuild(project, "docx", "--revision")
    rebuild(project, "odt")
    return project


def libreoffice_pdf(source: Path, dest: Path) -> Path:
    """A real client: LibreOffice (headless, private profile) converts a DOCX or ODT to PDF."""
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(dest / 'perfil').as_uri()}",
         "--convert-to", "pdf", "--outdir", str(dest), str(source)],
        check=True, capture_output=True, timeout=300,
    )
    return dest / f"{source.stem}.pdf"


@pytest.fixture(scope="session")
def plan_in_libreoffice(built_plan: Project, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The plan's DOCX and ODT as LibreOffice lays them out (PDF), converted once for the session."""
    folder = tmp_path_factory.mktemp("libreoffice")
    return {kind: libreoffice_pdf(built_plan.salida / f"plan.{kind}", folder / kind) for kind in ("docx", "odt")}


def pdf_text(path: Path) -> str:
    """The PDF's text as poppler extracts it (layout-free), one string."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True).stdout


def edit(path: Path, old: str, new: str, count: int | None = None) -> None:
    """Replace text in a source of a copied project; the text must be there (exactly count times when given)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    if count is not None:
        assert text.count(old) == count, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes, to prove a failed build changed nothing."""
    if not folder.exists():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regenerar-aprobadas",
        action="store_true",
        help="reescribe las imágenes aprobadas de tests/aprobadas/ con las páginas actuales del PDF",
    )


def build_project(root: Path, source: Path, master: str, cache: Path) -> Project:
    """Copy a fixture project into root and build it (PDF and DOCX); fails the test if the build fails."""
    project = Project(root, _copy_project(source, root, master), cache)
    rebuild(project)
    return project


def rebuild(project: Project, *args: str) -> None:
    """Build a project as it is now on disk (after a test edited it); fails the test if the build fails."""
    code = cli.main([
        *args,
        "--fuente", str(project.master), "--salida", str(project.salida),
        "--plantillas", str(project.root / "plantillas"), "--cache", str(project.cache), "--silencioso",
    ])
    assert code == 0


@pytest.fixture(scope="session")
def built_muestra(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Project:
    """The sample project (figure and table on one page, 40 footnotes, a 70-row table) built once."""
    return build_project(tmp_path_factory.mktemp("muestra"), PROJECTS / "muestra", "fuente/muestra.md", shared_cache)


def page_texts(path: Path) -> list[str]:
    """The text of each page of a PDF, in order."""
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")


def render_pages(path: Path, dest: Path, dpi: int, first: int = 1, last: int | None = None) -> list[Path]:
    """Pages of a PDF as grey PNGs (pdftoppm), in order."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-f", str(first)]
    if last is not None:
        cmd += ["-l", str(last)]
    subprocess.run([*cmd, str(path), str(dest / "p")], check=True)
    return sorted(dest.glob("p-*.png"))


def pdf_failures(path: Path) -> list[str]:
    """What an independent validator (page-validation) finds against PDF/A-3a and PDF/UA-1, as "rule: message"."""
    import page

    found = []
    for profile in (page.ValidationProfile.PDF_A_3A, page.ValidationProfile.PDF_UA_1):
        report = page.validate_pdf(str(path), profile=profile)
        found += [f"{f.rule_id}: {f.message}" for f in report.failures]
    return found


UNO_SCRIPT = Path(__file__).resolve().parent / "libreoffice_uno.py"


def uno(command: str, document: Path, out: Path | None = None, spec: dict | None = None) -> list[dict]:
    """Run tests/libreoffice_uno.py (the real LibreOffice, through UNO) with the system Python that has python3-uno;
    return the JSON lines it printed. With spec (annotate): what the entity does, as JSON."""
    import json

    extra = []
    if spec is not None:
        spec_path = Path(str(out) + ".json")
        spec_path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        extra = [str(spec_path)]
    result = subprocess.run(["/usr/bin/python3", str(UNO_SCRIPT), command, str(document),
                             *([str(out)] if out else []), *extra],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"LibreOffice (UNO) falló: {result.stderr[-2000:]}"
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
