"""`observaciones`: collect every returned file into the consultation's ledger (observaciones/consulta.sqlite),
merge the team's answers from its spreadsheet first, then write the spreadsheet again (XLSX and ODS), the CSV
and the HTML report; with --respuestas, one answer document per entity."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import logging
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..errors import ConfigError, Location, Problems, display_path
from ..identity import identify
from ..importing.prepare import visible_text
from ..publish import atomic_write, project_lock
from ..source.assemble import read_document
from .ledger import FIELDS, STATUSES, Ledger, Row, merge_answers, observation_id
from .observations import Observation, W, _words, collect, entity_from_name
from .odt_observations import collect_odt, original_paragraphs
from .returned import Returned, ReturnedFileError, open_returned, protected
from .rounds import Round, Rounds, SourceText, carry, shown, untracked_edits
from .sheet import read_sheet, write_ods, write_xlsx

log = logging.getLogger(__name__)

COVER = "(portada e índice)"
FOLDER = "observaciones"
UNKNOWN_ROUND = "(desconocida)"


@dataclass
class Collected:
    """What one run did: files read, duplicates, files of no sent round, observations added, answers merged."""

    read: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    unprotected: list[str] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    added: int = 0
    merged: int = 0


def _section(observation: Observation) -> str:
    return " › ".join(observation.section) or COVER


def _mapping(folder: Path) -> dict[str, dict[str, str]]:
    """observaciones/entidades.toml: [archivos] "nombre.docx" = "Entidad", [autores] "Autor" = "Entidad"."""
    path = folder / "entidades.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{display_path(path)}: {exc}", "revise la sintaxis TOML del archivo") from exc
    return {key: {str(k): str(v) for k, v in data.get(key, {}).items()} for key in ("archivos", "autores")}


def entity_of(path: Path, returned: Returned, found: list[Observation], doc_name: str,
              mapping: dict[str, dict[str, str]]) -> str:
    """Who sent a file: the project's explicit mapping, else its name, else its properties, else its first author."""
    explicit = mapping.get("archivos", {}).get(path.name)
    if explicit:
        return explicit
    authors = mapping.get("autores", {})
    named = entity_from_name(path, doc_name)
    if named:
        return named
    for key in ("company", "creator", "initial-creator"):
        value = returned.properties.get(key, "")
        if value and value not in ("Imprenta",):
            return authors.get(value, value)
    first = next((o.author for o in found if o.author), "")
    return authors.get(first, first) or path.stem


def _merge_team_answers(ledger: Ledger, folder: Path, problems: Problems) -> int:
    """The answers written in observaciones/respuestas.xlsx and .ods since the last run, into the ledger."""
    sheets = [folder / "respuestas.xlsx", folder / "respuestas.ods"]
    found: dict[str, tuple[str, str]] = {}
    rows = {row.id: row for row in ledger.rows()}
    for sheet in (s for s in sheets if s.is_file()):
        for ident, (status, answer) in read_sheet(sheet).items():
            row = rows.get(ident)
            if row is None:
                continue
            changed = (status.strip().lower() or row.estado, answer.strip()) != (row.estado, row.respuesta)
            if not changed:
                continue
            if ident in found and found[ident] != (status, answer):
                raise ConfigError(f"la observación {ident} tiene respuestas distintas en respuestas.xlsx y en "
                                  "respuestas.ods", "deje la respuesta en una sola de las dos hojas y vuelva a ejecutar")
            found[ident] = (status, answer)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    with ledger.transaction():
        merged, conflicts, invalid = merge_answers(ledger, found, when)
    for conflict in conflicts:
        problems.error(Location(folder / "respuestas.xlsx", 1),
                       f"la observación {conflict.ident} ya tiene una respuesta registrada («{conflict.kept[:80]}») y la "
                       f"hoja trae otra («{conflict.offered[:80]}»): una respuesta dada no se reemplaza",
                       "observaciones.conflicto",
                       "añada al final de la respuesta anterior en vez de cambiarla, o deje la hoja como estaba")
    for bad in invalid:
        problems.error(Location(folder / "respuestas.xlsx", 1), f"estado no válido en la hoja: {bad}",
                       "observaciones.estado", "use uno de: " + ", ".join(STATUSES))
    return merged


def collect_observations(config: Config, files: Sequence[Path], problems: Problems,
                         answers: bool = False) -> tuple[list[Path], int]:
    """Collect the files into the ledger (nothing twice, no answer lost), then write every report."""
    with project_lock(config):
        return _collect(config, files, problems, answers)


def _collect(config: Config, files: Sequence[Path], problems: Problems, answers: bool) -> tuple[list[Path], int]:
    doc = read_document(config, problems)
    problems.report()
    problems.stop_if_errors()
    folder = config.root / FOLDER
    ledger = Ledger(folder / "consulta.sqlite")
    try:
        merged = _merge_team_answers(ledger, folder, problems)
        problems.report()
        problems.stop_if_errors()  # a conflicting answer stops before anything is rewritten
        rounds = Rounds(config, doc, identify(doc))
        mapping = _mapping(folder)
        run = Collected(merged=merged)
        now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        for path in sorted(files):
            _collect_file(path, doc, rounds, ledger, mapping, run, problems, config.root, now)
        problems.stop_if_errors()  # with --estricto, an unreadable file stops here
        _recarry(ledger, SourceText(doc, config.root), rounds.current_identity.digest)
        rows = ledger.rows()
        written = _write_reports(config, folder, rows, ledger, doc.meta.titulo, run)
        if answers:
            from .answers import answer_documents

            written += answer_documents(config, doc, rows, problems)
        log.info("%d observaciones nuevas; %d respuestas del equipo incorporadas; %d en total",
                 run.added, run.merged, len(rows))
        return written, len(rows)
    finally:
        ledger.close()


def _collect_file(path: Path, doc, rounds: Rounds, ledger: Ledger, mapping: dict[str, dict[str, str]],
                  run: Collected, problems: Problems, root: Path, now: str) -> None:
    try:
        returned = open_returned(path)
    except ReturnedFileError as exc:
        problems.warning(Location(path, 1), exc.message, "observaciones.archivo", exc.hint)
        run.unread.append(path.name)
        return
    known = ledger.file_known(returned.digest)
    if known is not None:
        problems.warning(Location(path, 1), f"es el mismo archivo que {known['nombre']} ({known['entidad']}, versión "
                         f"{known['version']}), ya reunido: no se cuenta dos veces", "observaciones.duplicado",
                         "no hace falta volver a darlo; sus observaciones ya están en la base")
        run.duplicates.append(path.name)
        return
    round_ = rounds.of(returned)
    read_in = round_.doc if round_ is not None else doc
    try:
        found = (collect if returned.kind == "docx" else collect_odt)(returned, read_in, "")
    except ReturnedFileError as exc:
        problems.warning(Location(path, 1), exc.message, "observaciones.archivo", exc.hint)
        run.unread.append(path.name)
        return
    entity = entity_of(path, returned, found, doc.name, mapping)
    version = round_.version if round_ is not None else UNKNOWN_ROUND
    if round_ is None:
        problems.warning(Location(path, 1), "no corresponde a ninguna versión enviada (no lleva la marca de una copia "
                         "para observaciones de este documento, o su versión no está en git): se lista aparte",
                         "observaciones.ajeno", "compruebe que la entidad anotó la copia que se le envió")
        run.foreign.append(path.name)
    is_protected = protected(returned)
    if is_protected is False and round_ is not None:
        problems.warning(Location(path, 1), "la entidad quitó la protección de la copia: pudo editar sin control de "
                         "cambios", "observaciones.protección", "los cambios sin control se listan aparte, uno por uno")
        run.unprotected.append(path.name)
    version_root = root if round_ is None or round_.doc is doc else rounds.work / round_.revision
    if round_ is not None:
        found += _untracked(returned, round_, rounds, SourceText(read_in, version_root))
    with ledger.transaction():
        ledger.add_file(returned.digest, path.name, entity, version, returned.properties.get("revision_fuentes", ""),
                        returned.properties.get("huella_fuentes", ""), is_protected, now)
        for observation in found:
            observation.entity = entity
            observation.file = path.name
            at_round = shown(observation, version_root)
            place = f"{observation.place}|{observation.kind}|{at_round}|{observation.order}|{observation.ident}"
            row = Row(id=observation_id(entity, returned.digest, place, observation.text), archivo=returned.digest,
                      entidad=entity, version=version, orden=observation.order, tipo=observation.kind,
                      autor=observation.author, fecha=observation.date, lugar=observation.place,
                      seccion=_section(observation), fuente_en_su_version=at_round, fuente_actual="",
                      estado_del_pasaje="", texto=observation.text, antes=observation.before,
                      texto_anotado=observation.anchored, parrafo=observation.paragraph or observation.anchored,
                      responde_a=observation.reply_to,
                      resuelta=int(observation.resolved))
            run.added += ledger.add(row)
    run.read.append(path.name)
    log.info("  %s: %d observaciones (%s, versión %s)", display_path(path), len(found), entity, version)


def _recarry(ledger: Ledger, text: SourceText, digest: str) -> None:
    """Every observation of every round, the new ones included, located in the sources as they are now (a round
    later, its passage may have moved, changed or gone)."""
    same = {f["huella"] for f in ledger.files() if f["huella_fuentes"] == digest}
    with ledger.transaction():
        for row in ledger.rows():
            if row.archivo in same:
                current, state = row.fuente_en_su_version, "sin cambios"
            elif row.version == UNKNOWN_ROUND:
                continue
            else:
                probe = Observation(entity="", file="", kind=row.tipo, author="", date="", text=row.texto,
                                    anchored=row.antes or row.parrafo or row.texto_anotado)
                current, state = carry(probe, text, False)
            if (current, state) != (row.fuente_actual, row.estado_del_pasaje):
                ledger.locate(row.id, current, state)


def _untracked(returned: Returned, round_: Round, rounds: Rounds, text: SourceText) -> list[Observation]:
    """Each difference between the text sent and the text returned, once its tracked changes are undone: an edit
    made with tracking switched off, an observation of its own kind."""
    sent = rounds.sent_paragraphs(round_)
    if returned.kind == "docx":
        got = [visible_text(p, "rechazar") for p in returned.parts["word/document.xml"].iter(f"{W}p")]
    else:
        got = original_paragraphs(returned)
    out = []
    for before, after in untracked_edits(sent, got):
        found = text.find(_words(before or after), (6, 4, 3))
        source = Location(found[0].path, found[1]) if found else None
        out.append(Observation(entity="", file="", kind="cambio sin control de cambios", author="", date="",
                               text=after or "(texto quitado)", anchored=before, before=before, source=source,
                               order=10_000 + len(out), traced_by="texto", paragraph=before,
                               section=_section_at(round_.doc, source)))
    return out


def _section_at(doc, location: Location | None) -> list[str]:
    """The headings above a source line (its section path), from the document's headings."""
    if location is None:
        return []
    path: list = []
    for heading in doc.headings:
        if heading.location.path == location.path and heading.location.line > location.line:
            break
        if heading.location.path == location.path or path:
            path = [h for h in path if h.level < heading.level] + [heading]
    return [h.text for h in path]


def to_csv(rows: Sequence[Row]) -> bytes:
    """Every observation of the ledger, answers included (an export: the ledger is the record)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in rows:
        writer.writerow([getattr(row, name) for name in FIELDS])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # the BOM lets spreadsheets read the accents right


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], css: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _short(text: str, limit: int = 240) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_html(rows: Sequence[Row], files: Sequence, title: str, run: Collected) -> bytes:
    """The report: the rounds and files, counts per entity and status, then each section's observations."""
    e = html.escape
    kinds = sorted({r.tipo for r in rows})
    entities = sorted({r.entidad for r in rows} | {f["entidad"] for f in files})
    per_entity = [[e(name)] + [str(sum(1 for r in rows if r.entidad == name and r.tipo == k)) for k in kinds]
                  + [str(sum(1 for r in rows if r.entidad == name and r.estado == "pendiente")),
                     str(sum(1 for r in rows if r.entidad == name))] for name in entities]
    parts = [f"<h1>Observaciones: {e(title)}</h1>",
             f"<p>{len(rows)} observaciones de {len(entities)} entidades en {len({r.version for r in rows})} rondas; "
             f"{sum(1 for r in rows if r.estado == 'pendiente')} pendientes. El registro es "
             "<code>observaciones/consulta.sqlite</code>; el equipo responde en <code>observaciones/respuestas.xlsx"
             "</code> (o <code>.ods</code>).</p>"]
    notes = [("No se pudieron leer", run.unread), ("Repetidos (ya reunidos antes, no se cuentan dos veces)",
             run.duplicates), ("No corresponden a ninguna versión enviada", run.foreign),
             ("Les quitaron la protección", run.unprotected)]
    for label, names in notes:
        if names:
            parts.append(f"<p class='aviso'>{e(label)}: {', '.join(e(n) for n in names)}</p>")
    parts += ["<h2>Archivos recibidos</h2>",
              _table(["Archivo", "Entidad", "Versión", "Revisión", "Protección"],
                     [[e(f["nombre"]), e(f["entidad"]), e(f["version"]), f"<code>{e(f['revision'])}</code>",
                       {None: "?", 1: "sí", 0: "<b>quitada</b>"}[f["protegido"]]] for f in files]),
              "<h2>Por entidad</h2>", _table(["Entidad", *[k.capitalize() for k in kinds], "Pendientes", "Total"],
                                             per_entity)]
    for version in sorted({r.version for r in rows}):
        parts.append(f"<h2>Versión {e(version)}</h2>")
        in_round = [r for r in rows if r.version == version]
        for section in dict.fromkeys(r.seccion for r in in_round):
            detail = [[e(r.entidad), e(r.tipo) + (" (resuelta)" if r.resuelta else ""), e(r.autor),
                       e(r.fecha.replace("T", " ").rstrip("Z")[:16]),
                       (f"<del>{e(_short(r.antes))}</del><br>" if r.antes else "") + e(r.texto).replace("\n", "<br>"),
                       e(_short(r.texto_anotado)), f"<code>{e(r.fuente_en_su_version)}</code>",
                       f"<code>{e(r.fuente_actual)}</code> {e(r.estado_del_pasaje)}", e(r.estado), e(r.respuesta)]
                      for r in in_round if r.seccion == section]
            parts += [f"<h3>{e(section)}</h3>",
                      _table(["Entidad", "Tipo", "Autor", "Fecha", "Observación", "Texto anotado", "Fuente (su versión)",
                              "Hoy", "Estado", "Respuesta del equipo"], detail, "detalle")]
    status = Counter(r.estado for r in rows)
    parts.append("<p>Estados: " + ", ".join(f"{k}: {status[k]}" for k in STATUSES) + ".</p>")
    style = (
        "body{font-family:'Liberation Sans',Arial,sans-serif;font-size:10pt;color:#222;margin:2em}"
        "h1,h2,h3{color:#007934}table{border-collapse:collapse;width:100%;margin:0.5em 0 1.5em}"
        "th{background:#007934;color:#fff;text-align:left}th,td{border:0.5pt solid #999;padding:3px 5px;vertical-align:top}"
        ".aviso{color:#a00}code{font-size:9pt}del{color:#a00}"
    )
    page = (f'<!DOCTYPE html><html lang="es"><head><meta charset="utf-8"><title>Observaciones: {e(title)}</title>'
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")
    return page.encode("utf-8")


def _write_reports(config: Config, folder: Path, rows: list[Row], ledger: Ledger, title: str,
                   run: Collected) -> list[Path]:
    xlsx, ods = folder / "respuestas.xlsx", folder / "respuestas.ods"
    write_xlsx(rows, xlsx)
    write_ods(rows, ods)
    config.output_dir.mkdir(parents=True, exist_ok=True)
    csv_path, html_path = config.output_dir / "observaciones.csv", config.output_dir / "observaciones.html"
    atomic_write(csv_path, to_csv(rows))
    atomic_write(html_path, to_html(rows, ledger.files(), title, run))
    return [folder / "consulta.sqlite", xlsx, ods, csv_path, html_path]
