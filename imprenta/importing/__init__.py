"""`importar`: a Word or LibreOffice document turned, once, into an Imprenta project (fuente/, imagenes/,
metadatos.toml), written to a staging folder and moved into place only when it is whole, with the proof that it
still says everything the original said."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import logging
import os
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..config import Config
from ..errors import ConfigError, Problems
from ..tools import libreoffice_convert
from .convert import Comment, place_images, read_docx, split, write
from .convert import comments_of as read_comments
from .officefile import OfficeFile, identify, read_member
from .prepare import Inventory, parse_part, prepare
from .proof import WordProof, compare_words, counts_table, paragraphs, source_inventory

log = logging.getLogger(__name__)

CHANGE_CHOICES = ("aceptar", "rechazar")


@dataclass
class Imported:
    """What an import wrote and found."""

    dest: Path
    master: Path
    original: Inventory
    sources: Inventory
    words: WordProof
    comments: list[Comment]
    notes: list[str]
    report: Path


def import_document(document: Path, dest: Path, changes: str | None, overwrite: bool, templates: Path,
                    cache: Path) -> Imported:
    """Import document into dest (a new project folder); raise an ImprentaError, writing nothing, when it cannot."""
    document, dest = document.resolve(), dest.resolve()
    office = identify(document)
    if dest.exists() and any(dest.iterdir()) and not overwrite:
        raise ConfigError(f"la carpeta {dest} ya existe y no está vacía: no se sobrescribe un proyecto",
                          "elija otra carpeta con --destino, o añada --sobrescribir para reemplazarla")
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.importando-", dir=dest.parent))
    try:
        imported = _import(office, staging, dest, changes, templates, cache)
        _move_into_place(staging, dest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dataclasses.replace(imported, dest=dest, master=dest / imported.master.relative_to(staging),
                               report=dest / imported.report.relative_to(staging))


def _move_into_place(staging: Path, dest: Path) -> None:
    """Replace dest by the finished staging folder: the old project is set aside first and removed only after."""
    old = None
    if dest.exists():
        old = dest.parent / f".{dest.name}.anterior-{os.getpid()}"
        dest.rename(old)
    staging.rename(dest)
    mask = os.umask(0)
    os.umask(mask)
    dest.chmod(0o777 & ~mask)  # mkdtemp made it private; the project is an ordinary folder
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _import(office: OfficeFile, staging: Path, final: Path, changes: str | None, templates: Path,
            cache: Path) -> Imported:
    work = staging / ".importacion"
    work.mkdir()
    notes: list[str] = []
    docx_path = office.path
    if office.kind == "odt":  # LibreOffice's own filter: tracked changes, comments and outline levels carried over
        with zipfile.ZipFile(office.path) as archive:
            for member in ("content.xml", "styles.xml", "meta.xml"):
                if member in archive.namelist():
                    parse_part(read_member(archive, member), member)  # checked before LibreOffice opens it
        log.info("convirtiendo %s a DOCX con LibreOffice", office.path.name)
        docx_path = libreoffice_convert(office.path, "docx", work, "LibreOffice (lectura del ODT)")
        notes.append("El ODT se leyó a través de la conversión de LibreOffice a DOCX; los recuentos del original "
                     "son los de esa conversión.")
    with zipfile.ZipFile(docx_path) as archive:
        members = {name: read_member(archive, name) for name in archive.namelist() if not name.endswith("/")}
    prepared, original = prepare(members, changes or "aceptar")
    if original.changes and changes is None:
        raise ConfigError(f"{office.path.name} tiene {original.changes} cambios controlados sin aceptar ni rechazar",
                          "diga qué hacer con ellos: --cambios aceptar (el texto con los cambios) o --cambios "
                          "rechazar (el texto anterior a los cambios)")
    handling = changes or "aceptar"
    prepared_docx = work / "preparado.docx"
    with zipfile.ZipFile(prepared_docx, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in prepared.items():
            archive.writestr(name, data)
    media = work / "medios"
    log.info("leyendo %s con pandoc", office.path.name)
    ast = read_docx(prepared_docx.read_bytes(), media, "accept" if handling == "aceptar" else "reject")
    comments = read_comments(read_docx(prepared_docx.read_bytes(), work / "medios-comentarios", "all")) \
        if original.comments else []
    properties = _properties(members)
    name = _file_name(office.path.stem)
    converted = split(ast, properties.get("title") or office.path.stem, name)
    place_images(converted, media)
    written = write(converted, ast["pandoc-api-version"], staging)
    (staging / "fuente/metadatos.toml").write_text(_metadata(converted.title, properties), encoding="utf-8")
    top = min(original.headings) if original.headings else 1
    files = [written[converted.master.path], *(written[p.path] for p in converted.parts)]
    sources = source_inventory(files, top)
    _locate(comments, files, staging / "fuente")
    notes += _by_design(original, handling)

    log.info("reconstruyendo el DOCX desde las fuentes nuevas para compararlo con el original")
    rebuilt = _rebuild(staging, written[converted.master.path], templates, cache)
    before, dropped = paragraphs(docx_path, handling, skip_contents=True)
    after, _ = paragraphs(rebuilt, "aceptar", skip_contents=False)
    words = compare_words(before, after)
    words.by_design = dropped
    shutil.rmtree(work)
    shutil.rmtree(staging / "salida", ignore_errors=True)
    report = staging / "importacion.html"
    imported = Imported(staging, written[converted.master.path], original, sources, words, comments, notes, report)
    report.write_text(report_html(office.path.name, dataclasses.replace(imported, dest=final), handling),
                      encoding="utf-8")
    return imported


def _rebuild(project: Path, master: Path, templates: Path, cache: Path) -> Path:
    from ..pipeline import build

    config = Config(root=project, master=master, output_dir=project / "salida", templates_dir=templates,
                    cache_dir=cache, formats=("docx",))
    problems = Problems()
    # The test build's own progress and writing-style warnings (the original's, not the import's) stay quiet; an
    # error still stops the import, said by the CLI.
    quiet = [logging.getLogger(name) for name in ("imprenta.pipeline", "imprenta.problemas", "imprenta.formats",
                                                  "imprenta.images", "imprenta.source")]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        build(config, problems)
    finally:
        for logger, level in zip(quiet, levels):
            logger.setLevel(level)
    if problems.warning_count:
        log.info("      la compilación de prueba dio %d avisos de estilo (los verá al compilar el proyecto)",
                 problems.warning_count)
    return project / "salida" / f"{master.stem}.docx"


def _properties(members: dict[str, bytes]) -> dict[str, str]:
    """title, subject, keywords, creator, modified and company from the document's properties."""
    found: dict[str, str] = {}
    core = members.get("docProps/core.xml", b"").decode("utf-8", "replace")
    for key, tag in (("title", "dc:title"), ("subject", "dc:subject"), ("keywords", "cp:keywords"),
                     ("creator", "dc:creator"), ("modified", "dcterms:modified")):
        match = re.search(rf"<{tag}[^>]*>([^<]*)</{tag}>", core)
        if match and match.group(1).strip():
            found[key] = html.unescape(match.group(1).strip())
    app = members.get("docProps/app.xml", b"").decode("utf-8", "replace")
    match = re.search(r"<Company>([^<]*)</Company>", app)
    if match and match.group(1).strip():
        found["company"] = html.unescape(match.group(1).strip())
    return found


def _toml(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _metadata(title: str, properties: dict[str, str]) -> str:
    try:
        date = dt.date.fromisoformat(properties.get("modified", "")[:10])
    except ValueError:
        date = dt.date.today()
    entity = properties.get("company") or properties.get("creator") or "Entidad (complete este dato)"
    lines = [
        "# Escrito por «python build.py importar» a partir de las propiedades del documento original: revíselo.",
        f"titulo = {_toml(title)}",
        f"entidad = {_toml(entity)}",
        'version = "0.1"',
        f"fecha = {date.isoformat()}",
        'estado = "borrador"',
    ]
    if properties.get("subject"):
        lines.append(f"asunto = {_toml(properties['subject'])}")
    if properties.get("keywords"):
        words = [w.strip() for w in re.split(r"[;,]", properties["keywords"]) if w.strip()]
        lines.append("palabras_clave = [" + ", ".join(_toml(w) for w in words) + "]")
    return "\n".join(lines) + "\n"


def _file_name(stem: str) -> str:
    from ..source.anchors import slug

    return slug(stem)[:40].strip("-") or "documento"


def _locate(comments: list[Comment], files: list[Path], fuente: Path) -> None:
    """Where each comment's passage landed in the new sources: part:line, or where its paragraph did."""
    texts = [(path, path.read_text(encoding="utf-8").splitlines()) for path in files]
    for comment in comments:
        for probe in (comment.passage, comment.context[:60]):
            words = " ".join(probe.split())
            if not words:
                continue
            hit = next(((path, number) for path, lines in texts for number, line in enumerate(lines, start=1)
                        if words in " ".join(line.split())), None)
            if hit:
                comment.landed = f"{hit[0].relative_to(fuente.parent).as_posix()}:{hit[1]}"
                break
        else:
            comment.landed = "(no se encontró el pasaje: lea el comentario y ubíquelo a mano)"


def _by_design(original: Inventory, handling: str) -> list[str]:
    notes = []
    if original.changes:
        notes.append(f"{original.changes} cambios controlados: se {'aceptaron' if handling == 'aceptar' else 'rechazaron'}"
                     " todos (--cambios " + handling + ").")
    if original.contents_fields:
        notes.append("El índice propio del documento se quitó: Imprenta escribe el suyo, con las páginas de su edición.")
    if original.page_fields:
        notes.append(f"{original.page_fields} campos de número de página se quitaron: Imprenta numera sus páginas.")
    if original.cross_references:
        notes.append(f"{original.cross_references} referencias cruzadas (REF/PAGEREF) son ahora enlaces a su destino.")
    if original.text_boxes:
        notes.append(f"{original.text_boxes} cuadros de texto: su contenido (texto, figuras, pies) es ahora texto "
                     "normal, tras el párrafo que los sostenía.")
    if original.objects:
        notes.append(f"{original.objects} objetos incrustados (gráficos, Visio, hojas de cálculo): se conservó la "
                     "imagen que el documento guarda de cada uno; revise que estén todos.")
    for what in original.unimported:
        notes.append(f"AVISO: {what} no tenía imagen que conservar: en su lugar hay un aviso entre corchetes; "
                     "insértelo como imagen (expórtelo desde Word o LibreOffice).")
    if original.numbered_headings:
        notes.append(f"{original.numbered_headings} títulos llevaban la numeración automática de Word (1, 1.1, ...): "
                     "no es texto y no se conserva; los títulos quedan sin número.")
    if original.title_paragraphs:
        notes.append("Los párrafos con el estilo «Título» son el título del documento (metadatos.toml), no encabezados.")
    notes.append("Los encabezados y pies de página del original no se importan: Imprenta pone los suyos.")
    return notes


def report_html(name: str, imported: Imported, handling: str) -> str:
    """importacion.html: the counts side by side, the words, the comments and what was changed by design."""
    e = html.escape
    rows = "".join(f"<tr><td>{e(what)}</td><td>{e(a)}</td><td>{e(b)}</td><td>{'≠ ' + e(why) if why else '✓'}</td></tr>"
                   for what, a, b, why in counts_table(imported.original, imported.sources, len(imported.comments)))
    words = imported.words
    missing = "".join(f"<li>{e(p[:300])}</li>" for p in words.missing[:200]) or "<li>ninguno</li>"
    new = "".join(f"<li>{e(p[:300])}</li>" for p in words.new[:200]) or "<li>ninguno</li>"
    comments = "".join(
        f"<tr><td>{e(c.author)}</td><td>{e(c.date[:10])}</td><td>{e(c.text)}</td><td>«{e(c.passage)}»</td>"
        f"<td><code>{e(c.landed)}</code></td></tr>" for c in imported.comments) or \
        "<tr><td colspan='5'>El documento no tiene comentarios.</td></tr>"
    notes = "".join(f"<li>{e(n)}</li>" for n in imported.notes)
    return f"""<!DOCTYPE html>
<html lang="es"><head><meta charset="utf-8"><title>Importación de {e(name)}</title>
<style>body{{font-family:'Liberation Sans',Arial,sans-serif;max-width:60em;margin:2em auto;color:#222}}
h1,h2{{color:#007934}}table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #999;padding:3px 8px;
vertical-align:top}}th{{background:#007934;color:#fff;text-align:left}}.cifra{{font-size:1.4em;font-weight:bold}}</style>
</head><body>
<h1>Importación de {e(name)}</h1>
<p>Proyecto escrito en <code>{e(str(imported.dest))}</code>; maestro <code>{e(imported.master.name)}</code>.</p>
<h2>Lo que tenía el original y lo que tienen las fuentes</h2>
<table><tr><th>Elemento</th><th>Original</th><th>Fuentes</th><th></th></tr>{rows}</table>
<h2>Palabras</h2>
<p class="cifra">{words.share:.2%} de las palabras del original están, en el mismo orden, en el DOCX reconstruido
desde las fuentes ({words.found} de {words.original}).</p>
<p>Se cuentan las palabras del cuerpo, las notas y las tablas, con los cambios controlados tratados como se pidió
(--cambios {e(handling)}). No se cuentan, porque se quitaron a propósito, las {words.by_design} palabras del índice
propio del documento.</p>
<h3>Párrafos del original que no están</h3><ul>{missing}</ul>
<h3>Párrafos nuevos (la portada, el índice y el colofón de Imprenta, y lo que cambió de forma)</h3><ul>{new}</ul>
<h2>Comentarios ({len(imported.comments)})</h2>
<table><tr><th>Autor</th><th>Fecha</th><th>Comentario</th><th>Pasaje</th><th>Dónde quedó</th></tr>{comments}</table>
<h2>Lo que se hizo a propósito</h2><ul>{notes}</ul>
</body></html>
"""
