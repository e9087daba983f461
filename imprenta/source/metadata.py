"""The document's metadata (title, entity, version, date, status...), read from one TOML file beside the master."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import Location, Problems
from ..pandocast import Element, meta_string, text_inlines

METADATA_FILE = "metadatos.toml"
STATUSES = ("borrador", "aprobado")
MONTHS = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre")

# key -> (type, required, description); the single place where metadata keys are defined.
FIELDS: dict[str, tuple[type, bool, str]] = {
    "titulo": (str, True, "título del documento"),
    "subtitulo": (str, False, "subtítulo"),
    "entidad": (str, True, "entidad que emite el documento (autor)"),
    "version": (str, True, "versión, por ejemplo \"1.0\""),
    "fecha": (dt.date, True, "fecha de la versión, AAAA-MM-DD"),
    "estado": (str, True, "borrador o aprobado"),
    "idioma": (str, False, "idioma, por defecto es-BO"),
    "asunto": (str, False, "asunto o resumen en una línea"),
    "palabras_clave": (list, False, "lista de palabras clave"),
    "base_legal": (str, False, "norma que da origen al documento"),
    "historial": (dict, False, "tabla [[historial]] con version, fecha y resumen de cada versión"),
    "partes": (list, False, "lista de las partes en orden, rutas relativas a esta carpeta (manda sobre la lista "
                            "del maestro o el nav de MkDocs)"),
}
HISTORY_KEYS = {"version": str, "fecha": dt.date, "resumen": str}


def fecha_texto(date: dt.date) -> str:
    """A date as printed in Spanish: "24 de noviembre de 2026"."""
    return f"{date.day} de {MONTHS[date.month - 1]} de {date.year}"


@dataclass
class Metadata:
    """Validated metadata; every output reads the same values."""

    titulo: str
    entidad: str
    version: str
    fecha: dt.date
    estado: str
    subtitulo: str = ""
    idioma: str = "es-BO"
    asunto: str = ""
    palabras_clave: list[str] = field(default_factory=list)
    base_legal: str = ""
    historial: list[dict[str, Any]] = field(default_factory=list)
    partes: list[str] = field(default_factory=list)
    partes_linea: int = 1  # the line of `partes` in metadatos.toml, where problems with the list point
    source: Path | None = None

    @property
    def fecha_texto(self) -> str:
        """The date as printed in Spanish: "24 de noviembre de 2026"."""
        return fecha_texto(self.fecha)

    @property
    def stamp(self) -> dt.datetime:
        """The metadata date at noon UTC: every date stamped in an output is this one, never the clock."""
        return dt.datetime.combine(self.fecha, dt.time(12, 0), tzinfo=dt.UTC)

    @property
    def epoch(self) -> int:
        """The stamp as seconds since 1970 (SOURCE_DATE_EPOCH for pandoc)."""
        return int(self.stamp.timestamp())

    def to_pandoc(self) -> dict[str, Element]:
        """The metadata as pandoc's meta map (title, author, lang... plus Imprenta's own keys)."""
        meta: dict[str, Element] = {
            "title": meta_string(self.titulo),
            "author": {"t": "MetaList", "c": [meta_string(self.entidad)]},
            "date": meta_string(self.fecha.isoformat()),
            "fecha-texto": meta_string(self.fecha_texto),
            "lang": meta_string(self.idioma),
            "version": meta_string(self.version),
            "estado": meta_string(self.estado),
            "entidad": meta_string(self.entidad),
            "toc-title": meta_string("Contenido"),
        }
        if self.subtitulo:
            meta["subtitle"] = meta_string(self.subtitulo)
        if self.asunto:
            meta["subject"] = meta_string(self.asunto)
        if self.palabras_clave:
            # MetaInlines, not MetaString: pandoc's DOCX writer leaves MetaString keywords empty.
            meta["keywords"] = {"t": "MetaList", "c": [{"t": "MetaInlines", "c": text_inlines(k)} for k in self.palabras_clave]}
        if self.base_legal:
            meta["base-legal"] = meta_string(self.base_legal)
        if self.estado == "borrador":
            meta["borrador"] = {"t": "MetaBool", "c": True}
        if self.historial:
            meta["historial"] = {"t": "MetaList", "c": [
                {"t": "MetaMap", "c": {"version": meta_string(h["version"]), "fecha": meta_string(fecha_texto(h["fecha"])),
                                       "resumen": meta_string(h["resumen"])}}
                for h in self.historial
            ]}
        return meta


def _line_of_key(text: str, key: str) -> int:
    # [ \t]*, not \s*: a leading \s would match the blank lines before the key and report the wrong line.
    match = re.search(rf"^[ \t]*(?:{re.escape(key)}[ \t]*=|\[\[?{re.escape(key)}\]\]?)", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def _history(value: Any, where: Location, problems: Problems) -> list[dict[str, Any]]:
    """The version history: each entry with its version, date and summary, oldest first as written."""
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        problems.error(where, "historial debe ser una lista de tablas [[historial]]", "metadatos.valor",
                       '[[historial]]\nversion = "1.0"\nfecha = 2026-01-15\nresumen = "..."')
        return []
    entries = []
    for entry in value:
        wrong = [k for k, kind in HISTORY_KEYS.items() if not isinstance(entry.get(k), kind) or isinstance(entry.get(k), dt.datetime)]
        extra = sorted(set(entry) - set(HISTORY_KEYS))
        if wrong or extra:
            problems.error(where, f"entrada del historial no válida: {entry!r}", "metadatos.valor",
                           "cada [[historial]] lleva version (texto), fecha (AAAA-MM-DD) y resumen (texto)")
            continue
        entries.append(entry)
    return entries


def load_metadata(master: Path, fallback_title: str, problems: Problems) -> Metadata:
    """Read metadatos.toml beside the master; report every problem in it, with its line."""
    path = master.parent / METADATA_FILE
    if not path.exists():
        problems.warning(
            Location(master, 1),
            f"no hay archivo de metadatos {METADATA_FILE} junto al documento; se usan valores por defecto",
            "metadatos.falta",
            f"cree {path.name} con titulo, entidad, version, fecha y estado",
        )
        return Metadata(titulo=fallback_title, entidad="", version="0", fecha=dt.date(1970, 1, 1), estado="borrador")
    text = path.read_text(encoding="utf-8-sig")
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        problems.error(
            Location(path, int(match.group(1)) if match else 1),
            f"el archivo de metadatos no es TOML válido: {exc}",
            "metadatos.sintaxis",
            'cada línea es clave = valor; los textos van entre comillas: titulo = "Plan ..."',
        )
        return Metadata(titulo=fallback_title, entidad="", version="0", fecha=dt.date(1970, 1, 1), estado="borrador")

    values: dict[str, Any] = {}
    for key, value in data.items():
        where = Location(path, _line_of_key(text, key))
        if key not in FIELDS:
            close = difflib.get_close_matches(key, FIELDS, n=1)
            hint = f"¿quiso decir «{close[0]}»?" if close else "claves válidas: " + ", ".join(FIELDS)
            problems.error(where, f"clave de metadatos desconocida: {key}", "metadatos.clave", hint)
            continue
        kind, _, description = FIELDS[key]
        if kind is dict:
            values[key] = _history(value, where, problems)
        elif kind is list and isinstance(value, list) and all(isinstance(v, str) for v in value) or kind is dt.date and isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            values[key] = value
        elif kind is str and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            values[key] = str(value)
        else:
            problems.error(where, f"valor no válido para {key}: {value!r}", "metadatos.valor", f"se espera {description}")
    for key, (_, required, description) in FIELDS.items():
        if required and key not in data:
            problems.error(Location(path, 1), f"falta la clave {key} ({description})", "metadatos.falta-clave")
    if values.get("estado", "borrador") not in STATUSES:
        problems.error(
            Location(path, _line_of_key(text, "estado")),
            f"estado desconocido: {values['estado']}",
            "metadatos.valor",
            "use estado = \"borrador\" o estado = \"aprobado\"",
        )
    if "partes" in values:
        values["partes_linea"] = _line_of_key(text, "partes")
    defaults = {"titulo": fallback_title, "entidad": "", "version": "0", "fecha": dt.date(1970, 1, 1), "estado": "borrador"}
    return Metadata(**{**defaults, **values}, source=path)
