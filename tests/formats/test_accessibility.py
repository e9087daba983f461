"""PDF/A-3a and PDF/UA-1 by proof: an independent validator (page-validation) finds no failure in the plan, the
sample, the plan laid out in chunks and merged, a document written elsewhere, and a real corpus document; and it
does find the failures when tagging is broken on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pikepdf
import pytest

from conftest import CORPUS, PROJECTS, REPO, Project, rebuild
from conftest import pdf_failures as failures


@pytest.mark.parametrize("name", ["plan", "muestra"])
def test_the_plan_and_the_sample_validate(name: str, request: pytest.FixtureRequest) -> None:
    project: Project = request.getfixturevalue(f"built_{name}")
    assert failures(project.salida / f"{project.master.stem}.pdf") == []


def test_a_pdf_merged_from_chunks_validates(tmp_path: Path, shared_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPRENTA_PROCESOS", "1")  # laid out in chunks and merged, in this process
    root = tmp_path / "plan"
    for folder in ("fuente", "imagenes", "plantillas"):
        shutil.copytree(REPO / folder, root / folder)
    project = Project(root, root / "fuente/plan.md", shared_cache)
    rebuild(project, "pdf")
    assert failures(project.salida / "plan.pdf") == []


@pytest.mark.parametrize("source", ["dialecto", "owasp", "rocky"])
def test_documents_written_elsewhere_validate(source: str, tmp_path: Path, shared_cache: Path) -> None:
    if source == "dialecto":
        shutil.copytree(PROJECTS / "dialecto", tmp_path / "doc")
        master = tmp_path / "doc/mkdocs.yml"
    elif source == "owasp":  # a real document, with images missing as published: a draft with framed placeholders
        shutil.copytree(CORPUS / "docs/owasp-top10-2021-es/docs", tmp_path / "doc")
        master = tmp_path / "doc/es/index.md"
    else:  # laid out in chunks, with emoji in Symbola, whose compressed subset ends with a carriage return
        shutil.copytree(CORPUS / "docs/rocky-learning-ansible-es", tmp_path / "doc")
        master = tmp_path / "doc/build_pdf/ansible_book/es.yml"
    shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    project = Project(tmp_path, master, shared_cache)
    rebuild(project, "pdf")
    assert failures(project.salida / f"{master.stem}.pdf") == []


def test_broken_tagging_is_seen_by_the_validator(built_muestra: Project, tmp_path: Path) -> None:
    broken = tmp_path / "roto.pdf"
    with pikepdf.open(built_muestra.salida / "muestra.pdf") as pdf:
        link = next(a for p in pdf.pages for a in p.obj.get("/Annots", ()) if a.get("/Subtype") == "/Link")
        del link.StructParent  # a link outside the structure tree
        image = next(o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image")
        image.Interpolate = True  # an image viewers are asked to smooth
        pdf.save(broken)
    found = failures(broken)
    assert any(f.startswith("PDFUA1-LINK-LINK-TAG-001") for f in found), found
    assert any(f.startswith("PDFA3A-IMAGE-INTERPOLATE-001") for f in found), found
