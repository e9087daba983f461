"""`observaciones`: read every returned DOCX and write salida/observaciones.csv and .html, grouped by section."""

from __future__ import annotations

import csv
import html
import io
import logging
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from ..config import Config
from ..errors import Location, Problems, display_path
from ..publish import atomic_write
from ..source.assemble import read_document
from .observations import Observation, collect, entity_from_name
from .returned import ReturnedFileError, open_returned

log = logging.getLogger(__name__)

COLUMNS = ("entidad", "archivo", "tipo", "autor", "fecha", "seccion", "fuente", "texto", "texto_anclado",
           "responde_a", "respuesta_del_equipo")
KINDS = ("comentario", "respuesta", "inserción", "eliminación")
COVER = "(portada e índice)"


def _source(observation: Observation, root: Path) -> str:
    if observation.source is None:
        return ""
    try:
        shown = observation.source.path.resolve().relative_to(root)
    except ValueError:
        shown = observation.source.path
    return f"{shown.as_posix()}:{observation.source.line}"


def _section(observation: Observation) -> str:
    return " › ".join(observation.section) or COVER


def to_csv(observations: Sequence[Observation], root: Path) -> bytes:
    """One row per observation; the last column is left for the editorial team's answer."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for o in observations:
        writer.writerow([o.entity, o.file, o.kind, o.author, o.date, _section(o), _source(o, root), o.text,
                         o.anchored, o.reply_to, ""])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM lets spreadsheets read the accents right


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_html(observations: Sequence[Observation], root: Path, title: str, unread: Sequence[str],
            returned: Sequence[str] = ()) -> bytes:
    """A readable report: counts per entity (also those with none) and per section, then each section's observations."""
    e = html.escape
    entities = sorted({o.entity for o in observations} | set(returned))
    per_entity = [[e(name)] + [str(sum(1 for o in observations if o.entity == name and o.kind == k)) for k in KINDS]
                  + [str(sum(1 for o in observations if o.entity == name))] for name in entities]
    sections = list(dict.fromkeys(_section(o) for o in observations))
    counts = Counter(_section(o) for o in observations)
    per_section = [[e(s), str(counts[s])] for s in sections]
    parts = [
        f"<h1>Observaciones: {e(title)}</h1>",
        f"<p>{len(observations)} observaciones de {len(entities)} entidades. La columna «Respuesta del equipo»"
        " queda para el equipo editorial; el CSV tiene el texto completo.</p>",
    ]
    if unread:
        parts.append("<p class='aviso'>No se pudieron leer: " + ", ".join(e(u) for u in unread) + "</p>")
    parts += ["<h2>Por entidad</h2>", _table(["Entidad", *[k.capitalize() for k in KINDS], "Total"], per_entity),
              "<h2>Por sección</h2>", _table(["Sección", "Observaciones"], per_section)]
    for section in sections:
        rows = [[e(o.entity), e(o.kind), e(o.author), e(o.date.replace("T", " ").rstrip("Z")), e(o.text).replace("\n", "<br>"),
                 e(_short(o.anchored)),
                 f"<code>{e(_source(o, root))}</code>", ""]
                for o in observations if _section(o) == section]
        parts += [f"<h2>{e(section)}</h2>",
                  _table(["Entidad", "Tipo", "Autor", "Fecha", "Observación", "Texto anotado", "Fuente",
                          "Respuesta del equipo"], rows, "detalle")]
    style = (
        "body{font-family:'Liberation Sans',Arial,sans-serif;font-size:10pt;color:#222;margin:2em}"
        "h1,h2{color:#007934}table{border-collapse:collapse;width:100%;margin:0.5em 0 1.5em}"
        "th{background:#007934;color:#fff;text-align:left}th,td{border:0.5pt solid #999;padding:3px 5px;vertical-align:top}"
        "table.detalle td:last-child{min-width:12em}.aviso{color:#a00}code{font-size:9pt}"
    )
    page = (f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Observaciones: {e(title)}</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    return page.encode("utf-8")


def collect_observations(config: Config, files: Sequence[Path], problems: Problems) -> tuple[list[Path], int]:
    """Read every returned file (a bad one is reported and skipped), then write the CSV and the HTML report."""
    doc = read_document(config, problems)
    problems.report()
    problems.stop_if_errors()
    order = {source.path: index for index, source in enumerate(doc.sources)}
    observations: list[Observation] = []
    unread: list[str] = []
    returned: list[str] = []
    for path in sorted(files):
        try:
            found = collect(open_returned(path), doc, entity_from_name(path, doc.name))
        except ReturnedFileError as exc:
            problems.warning(Location(path, 1), exc.message, "observaciones.archivo", exc.hint)
            unread.append(path.name)
            continue
        log.info("  %s: %d observaciones", display_path(path), len(found))
        returned.append(entity_from_name(path, doc.name) or path.stem)
        for observation in found:
            if not observation.entity:
                observation.entity = observation.author or path.stem
        observations.extend(found)
    problems.stop_if_errors()  # with --estricto, an unreadable file stops here
    observations.sort(key=lambda o: (
        (-1, 0) if o.source is None else (order.get(o.source.path, len(order)), o.source.line),
        o.entity, o.file, o.order, o.kind == "respuesta", o.date, o.ident,
    ))
    config.output_dir.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = config.output_dir / "observaciones.csv", config.output_dir / "observaciones.html"
    atomic_write(csv_path, to_csv(observations, config.root))
    atomic_write(html_path, to_html(observations, config.root, doc.meta.titulo, unread, returned))
    return [csv_path, html_path], len(observations)
