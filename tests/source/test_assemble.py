"""Assembly: the parts replace the list, anchors are unique across files, and links reach the right heading."""

from __future__ import annotations

from imprenta.config import Config
from imprenta.errors import Problems
from imprenta.pandocast import walk
from imprenta.source.assemble import assemble
from imprenta.source.project import load_project

from conftest import Project


def _assemble(project: Project):  # noqa: ANN202 - returns the Document
    problems = Problems()
    config = Config(root=project.root, master=project.master, templates_dir=project.root / "plantillas")
    doc = assemble(load_project(config, problems), problems)
    assert not problems.items
    return doc


def test_parts_replace_the_list_and_keep_their_lines(mini: Project) -> None:
    doc = _assemble(mini)
    assert [h.text for h in doc.headings] == [
        "Documento de prueba", "Introducción", "Primera parte", "Detalle", "Segunda parte", "Detalle",
    ]
    assert [(h.location.path.name, h.location.line) for h in doc.headings] == [
        ("indice.md", 1), ("indice.md", 3), ("primera.md", 1), ("primera.md", 3), ("segunda.md", 1), ("segunda.md", 3),
    ]
    assert not any(b["t"] == "BulletList" for b in doc.blocks)
    parts = [b for b in doc.blocks if b["t"] == "Div"]
    assert [p["c"][0][2] for p in parts] == [[["fuente", "partes/primera.md"]], [["fuente", "partes/segunda.md"]]]


def test_colliding_anchors_are_unique_and_links_reach_the_right_one(mini: Project) -> None:
    doc = _assemble(mini)
    anchors = [h.anchor for h in doc.headings]
    assert len(set(anchors)) == len(anchors)
    assert anchors[3] == "detalle" and anchors[5] == "segunda-detalle"
    links: list[str] = []
    walk(doc.blocks, lambda el: links.append(el["c"][2][0]) if el["t"] == "Link" else None)
    # indice.md -> partes/segunda.md#detalle must land on the second part's "Detalle", not the first's.
    assert links == ["#segunda-detalle", "#introduccion"]


def test_accented_fragment_finds_ascii_anchor(mini: Project) -> None:
    path = mini.root / "fuente/partes/primera.md"
    path.write_text(path.read_text(encoding="utf-8").replace("#introduccion", "#Introducción"), encoding="utf-8")
    links: list[str] = []
    walk(_assemble(mini).blocks, lambda el: links.append(el["c"][2][0]) if el["t"] == "Link" else None)
    assert links[1] == "#introduccion"
