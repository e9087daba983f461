"""`cambios --desde REV`: the sources of a git version against the current ones, as a tracked-change DOCX and a summary."""

from __future__ import annotations

import dataclasses
import io
import logging
import tarfile
import tempfile
from pathlib import Path

from ..cache import Cache
from ..config import Config
from ..document import Document, Heading
from ..errors import ConfigError, ImprentaError, Problems
from ..formats.editable import normalise_zip
from ..identity import IMAGES_FOLDER, identify
from ..pandocast import Element, dumps, meta_string, stringify, text_inlines
from ..pipeline import BuildResult, render
from ..publish import project_lock, publish
from ..source.assemble import read_document
from ..tools import find_program, install_hint, libreoffice_convert, run_pandoc, run_tool
from .diff import Marker, compare, has_change, mark_moves, mark_whole_paragraphs, without_changes, without_images

log = logging.getLogger(__name__)

SUMMARY_STYLE = (
    "body{font-family:'Liberation Sans',Arial,sans-serif;font-size:10.5pt;color:#222;max-width:48em;margin:2em auto}"
    "h1,h2{color:#007934}h2{font-size:13pt;border-bottom:1px solid #007934;margin-top:1.6em}"
    ".insertion{background:#c8f0c8;text-decoration:underline}"
    ".deletion{background:#f6caca;text-decoration:line-through}"
    ".traslado{background:#d6e2f5;color:#1F4E9E;text-decoration-style:double}"
    ".deletion+.insertion::before{content:' ';display:inline-block;white-space:pre;background:#fff}"
    "table{border-collapse:collapse}th,td{border:0.5pt solid #999;padding:2px 5px}"
)


def old_sources(master: Path, revision: str, dest: Path) -> Path:
    """Extract the master's folder and imagenes/ as they were at revision; return the old master's path."""
    git = find_program("git")
    if git is None:
        raise ConfigError("para comparar versiones hace falta git", install_hint("git"))
    found = run_tool([git, "-C", str(master.parent), "rev-parse", "--show-toplevel"], check=False, what="git")
    if found.rc != 0:
        raise ConfigError(f"las fuentes ({master.parent}) no están en un repositorio git",
                          "las versiones se toman de git: inicialice el repositorio y etiquete cada versión (git tag v1.0)")
    top = Path(found.stdout.decode().strip())
    check = run_tool([git, "-C", str(top), "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], check=False, what="git")
    if check.rc != 0:
        raise ConfigError(f"no existe la versión «{revision}» en el repositorio",
                          "vea las versiones con: git tag (o use un commit: git log --oneline)")
    relative = master.resolve().relative_to(top.resolve())
    folders = [relative.parent.as_posix()]
    images = relative.parent.parent / IMAGES_FOLDER
    listed = run_tool([git, "-C", str(top), "ls-tree", "-d", "--name-only", revision, "--", images.as_posix()],
                      check=False, what="git").stdout.decode().split()
    if images.as_posix() in listed:
        folders.append(images.as_posix())
    archive = run_tool([git, "-C", str(top), "archive", "--format=tar", revision, "--", *folders], check=False, what="git archive")
    if archive.rc != 0:
        raise ConfigError(f"la versión «{revision}» no tiene la carpeta {folders[0]}",
                          "compare con una versión posterior a la creación del documento")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(dest, filter="data")  # "data": no absolute paths, links or devices from the archive
    old_master = dest / relative
    if not old_master.is_file():
        raise ConfigError(f"en la versión «{revision}» no existe {relative}", "compare con una versión que ya tenga el maestro")
    return old_master


def counts(marker: Marker) -> str:
    """"3 inserciones, 2 eliminaciones y 1 traslado": what the comparison found, in words."""
    moved = len(marker.moves)
    parts = [f"{marker.insertions} inserciones", f"{marker.deletions} eliminaciones"]
    if moved:
        parts.append(f"{moved} {'traslado' if moved == 1 else 'traslados'}")
    return ", ".join(parts[:-1]) + " y " + parts[-1]


def moves_list(marker: Marker) -> list[Element]:
    """The blocks that moved, named: a move is shown where the block was (struck through) and where it is."""
    if not marker.moves:
        return []
    return [{"t": "Para", "c": text_inlines("Trasladado a otro lugar del documento (tachado donde estaba, subrayado "
                                            "donde está):")},
            {"t": "BulletList", "c": [[{"t": "Plain", "c": text_inlines(f"«{label}»")}] for label in marker.moves]}]


def summary_html(doc: Document, marker: Marker, revision: str, current: str) -> bytes:
    """A readable page: the sections that changed, each with its changed text highlighted."""
    blocks: list[Element] = [
        {"t": "Header", "c": [1, ["", [], []], text_inlines(f"Cambios desde {revision}")]},
        {"t": "Para", "c": text_inlines(
            f"{doc.meta.titulo}, versión {doc.meta.version} ({current}), comparada con {revision}: "
            f"{counts(marker)} en {len({tuple(p) for p, _ in marker.changed})} secciones. "
            "Lo insertado va subrayado en verde; lo eliminado, tachado en rojo; lo trasladado, en azul con doble línea."
        )},
        *moves_list(marker),
    ]
    previous: list[str] | None = None
    for path, block in marker.changed:
        if path != previous:
            blocks.append({"t": "Header", "c": [2, ["", [], []], text_inlines(" › ".join(path) or "(inicio)")]})
            previous = path
        if block["t"] == "Header":  # a changed heading is shown as a line, not as a heading of the summary
            block = {"t": "Para", "c": [{"t": "Strong", "c": block["c"][2]}]}
        blocks.append(block)
    ast = {
        "pandoc-api-version": doc.api_version,
        "meta": {
            "pagetitle": meta_string(f"Cambios desde {revision}: {doc.meta.titulo}"),
            "lang": meta_string(doc.meta.idioma),
            "header-includes": {"t": "MetaBlocks", "c": [{"t": "RawBlock", "c": ["html", f"<style>{SUMMARY_STYLE}</style>"]}]},
        },
        "blocks": without_images(blocks),
    }
    result = run_pandoc(["--sandbox", "--from", "json", "--to", "html5", "--standalone", "--wrap=none"],
                        input_bytes=dumps(ast), what="pandoc (resumen de cambios)")
    return result.stdout


def compare_versions(config: Config, revision: str, problems: Problems,
                     until: str | None = None) -> tuple[list[Path], Marker]:
    """Write salida/<doc>-cambios.docx (every change a tracked change) and salida/<doc>-cambios.html: from the
    version `revision` to `until` (another tag or commit) or, without it, to the current sources."""
    with project_lock(config):
        return _compare(config, revision, problems, until)


def change_edition(blocks: list[Element], marker: Marker, span: str) -> list[Element]:
    """The changed document as the editions show it: a first section listing the changed sections (links, which
    the PDF follows with their pages), and each changed block inside a Div that the PDF draws with a change bar."""
    sections: dict[str, str] = {}  # anchor -> heading text, in document order
    current: list[tuple[str, str]] = [("", "(inicio)")]

    def wrap(items: list[Element]) -> list[Element]:
        out = []
        for block in items:
            if block["t"] == "Div" and {"parte", "grupo"} & set(block["c"][0][1]):
                block["c"][1] = wrap(block["c"][1])
                out.append(block)
                continue
            if block["t"] == "Header" and stringify(without_changes(block["c"][2])).strip():
                # (a heading deleted whole is not a section of the new text: its changes belong to the one before)
                current[0] = (block["c"][1][0], stringify(without_changes(block["c"][2])))
            if has_change(block):
                sections.setdefault(*current[0])
                block = {"t": "Div", "c": [["", ["cambio"], []], [block]]}
            out.append(block)
        return out

    body = wrap(blocks)
    entries = [[{"t": "Plain", "c": [{"t": "Link", "c": [["", ["ref"] if anchor else [], []], text_inlines(text),
                                                       [f"#{anchor}", ""]]} if anchor else {"t": "Str", "c": text}]}]
               for anchor, text in sections.items()]
    summary = [
        {"t": "Header", "c": [1, ["resumen-de-cambios", ["cambios"], []], text_inlines(f"Cambios {span}")]},
        {"t": "Para", "c": text_inlines(
            f"{counts(marker)} en {len(sections)} secciones. "
            "Lo insertado va subrayado y en verde; lo eliminado, tachado y en rojo; lo trasladado, en azul con doble "
            "línea; una barra en el margen señala cada párrafo que cambió.")},
        {"t": "BulletList", "c": entries} if entries else {"t": "Para", "c": text_inlines("No hay cambios.")},
        *moves_list(marker),
    ]
    return [{"t": "Div", "c": [["", ["resumen-cambios"], []], summary]}, *body]


def _read_version(config: Config, revision: str, folder: Path) -> Document:
    """A version's sources, from git, read as a document (its own warnings are not this run's problems)."""
    old_problems = Problems()
    doc = read_document(dataclasses.replace(config, master=old_sources(config.master, revision, folder)), old_problems)
    if old_problems.error_count:
        raise ImprentaError(f"la versión «{revision}» tiene errores en sus fuentes y no se puede leer",
                            f"compílela para verlos: git checkout {revision} && python build.py")
    return doc


def _compare(config: Config, revision: str, problems: Problems, until: str | None) -> tuple[list[Path], Marker]:
    with tempfile.TemporaryDirectory(prefix="imprenta-version-") as tmp:
        if until is None:
            doc = read_document(config, problems)
            problems.report()
            problems.stop_if_errors()
        else:  # the newer edition from git too; its images are read from there while rendering
            doc = _read_version(config, until, Path(tmp) / "hasta")
        old = _read_version(config, revision, Path(tmp) / "desde")
        span = f"{revision} a {until}" if until else f"desde {revision}"
        log.info("comparando %s: %s", config.master.parent, span)
        marker = Marker(author=f"Imprenta (cambios {span})", date=doc.meta.stamp.strftime("%Y-%m-%dT%H:%M:%SZ"))
        changed = dataclasses.replace(doc, blocks=compare(old.blocks, doc.blocks, marker))
        log.info("      %d inserciones y %d eliminaciones", marker.insertions, marker.deletions)
        identity = identify(doc)
        edition = dataclasses.replace(changed, blocks=change_edition(changed.blocks, marker, span),
                                      headings=[Heading("resumen-de-cambios", 1, f"Cambios {span}",
                                                        doc.master.location(1)), *changed.headings])
        with Cache(config.cache_dir).workdir() as stage:
            # The same image and rendering stages as a build: the tracked-change DOCX and the PDF edition of changes.
            staged = render(edition, identity, config, ("docx", "pdf"), problems, stage, BuildResult())
            pdf = stage / f"{doc.name}-cambios.pdf"
            staged["pdf"].rename(pdf)
            dest = stage / f"{doc.name}-cambios.docx"
            # A paragraph, list item or row inserted or deleted whole: its mark too (no empty bullet after accepting).
            dest.write_bytes(normalise_zip(staged["docx"].read_bytes(), doc.meta.stamp,
                                           rewrite={"word/document.xml": lambda xml: mark_moves(mark_whole_paragraphs(xml))}))
            # The same changes for LibreOffice users, as ODT: LibreOffice's own filter turns every tracked change
            # (moves, paragraph marks, rows) into the ODT's text:tracked-changes.
            odt = libreoffice_convert(dest, "odt", stage, "LibreOffice (edición de cambios en ODT)")
            summary = stage / f"{doc.name}-cambios.html"
            summary.write_bytes(summary_html(changed, marker, revision, until or identity.revision))
            published = publish({"cambios": dest, "odt": odt, "pdf": pdf, "resumen": summary}, config.output_dir)
    return list(published.values()), marker
