"""The consultation's ledger: every observation of every round, with its status and the team's answer, kept in an
SQLite database in the project (observaciones/consulta.sqlite), so that collecting again never loses an answer,
never doubles an observation, and a file sent twice is said to be a duplicate."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError

STATUSES = ("pendiente", "aceptada", "aceptada en parte", "rechazada", "respondida")
SCHEMA = """
CREATE TABLE IF NOT EXISTS archivos (
    huella TEXT PRIMARY KEY,          -- SHA-256 of the returned file
    nombre TEXT NOT NULL,
    entidad TEXT NOT NULL,
    version TEXT NOT NULL,            -- the round: the version of the copy the entity annotated
    revision TEXT NOT NULL,           -- its sources' git revision ("" when the file does not say)
    huella_fuentes TEXT NOT NULL,
    protegido INTEGER,                -- 1 kept the protection, 0 removed it, NULL unknown
    recibido TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS observaciones (
    id TEXT PRIMARY KEY,              -- stable: entity, file digest, place, text
    archivo TEXT NOT NULL REFERENCES archivos(huella),
    entidad TEXT NOT NULL,
    version TEXT NOT NULL,
    orden INTEGER NOT NULL,
    tipo TEXT NOT NULL,
    autor TEXT NOT NULL,
    fecha TEXT NOT NULL,
    lugar TEXT NOT NULL,
    seccion TEXT NOT NULL,
    fuente_en_su_version TEXT NOT NULL,
    fuente_actual TEXT NOT NULL,
    estado_del_pasaje TEXT NOT NULL,
    texto TEXT NOT NULL,
    antes TEXT NOT NULL,
    texto_anotado TEXT NOT NULL,
    parrafo TEXT NOT NULL,            -- the paragraph as the sources had it: what finds it again later
    responde_a TEXT NOT NULL,
    resuelta INTEGER NOT NULL,
    estado TEXT NOT NULL DEFAULT 'pendiente',
    respuesta TEXT NOT NULL DEFAULT '',
    respondida_en TEXT NOT NULL DEFAULT ''
);
"""


@dataclass
class Row:
    """One observation as the ledger keeps it."""

    id: str
    archivo: str
    entidad: str
    version: str
    orden: int
    tipo: str
    autor: str
    fecha: str
    lugar: str
    seccion: str
    fuente_en_su_version: str
    fuente_actual: str
    estado_del_pasaje: str
    texto: str
    antes: str
    texto_anotado: str
    parrafo: str
    responde_a: str
    resuelta: int
    estado: str = "pendiente"
    respuesta: str = ""
    respondida_en: str = ""


FIELDS = tuple(Row.__dataclass_fields__)


def observation_id(entity: str, file_digest: str, place: str, text: str) -> str:
    """The stable identity of an observation: the same file collected again gives the same ids."""
    return hashlib.sha256("\x1f".join((entity, file_digest, place, text)).encode("utf-8")).hexdigest()[:16]


class Ledger:
    """The database, opened for one run; every write of a run is one transaction (all or nothing)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.db = sqlite3.connect(path, isolation_level=None)
            self.db.executescript(SCHEMA)
            # A ledger written by an earlier Imprenta: the columns added since then, empty (nothing is dropped).
            have = {info[1] for info in self.db.execute("PRAGMA table_info(observaciones)")}
            for name in FIELDS:
                if name not in have:
                    kind = "INTEGER NOT NULL DEFAULT 0" if name in ("orden", "resuelta") else "TEXT NOT NULL DEFAULT ''"
                    self.db.execute(f"ALTER TABLE observaciones ADD COLUMN {name} {kind}")
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{path} no es una base de datos de observaciones legible: {exc}",
                              "restáurela desde git o desde una copia; Imprenta no la reescribe") from exc
        self.db.row_factory = sqlite3.Row

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def file_known(self, digest: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM archivos WHERE huella = ?", (digest,)).fetchone()

    def add_file(self, digest: str, name: str, entity: str, version: str, revision: str, sources_digest: str,
                 protected: bool | None, received: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO archivos VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        (digest, name, entity, version, revision, sources_digest,
                         None if protected is None else int(protected), received))

    def add(self, row: Row) -> bool:
        """Add an observation; False when it was already there (its status and answer are left as they are)."""
        values = [getattr(row, name) for name in FIELDS]
        cursor = self.db.execute(f"INSERT OR IGNORE INTO observaciones ({', '.join(FIELDS)}) "
                                 f"VALUES ({', '.join('?' for _ in FIELDS)})", values)
        return cursor.rowcount == 1

    def rows(self) -> list[Row]:
        found = self.db.execute("SELECT * FROM observaciones ORDER BY version, entidad, archivo, orden, responde_a != '', fecha, id").fetchall()
        return [Row(**{name: record[name] for name in FIELDS}) for record in found]

    def files(self) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM archivos ORDER BY version, entidad, nombre").fetchall()

    def locate(self, ident: str, current: str, state: str) -> None:
        self.db.execute("UPDATE observaciones SET fuente_actual = ?, estado_del_pasaje = ? WHERE id = ?",
                        (current, state, ident))

    def answer(self, ident: str, status: str, answer: str, when: str) -> None:
        self.db.execute("UPDATE observaciones SET estado = ?, respuesta = ?, respondida_en = ? WHERE id = ?",
                        (status, answer, when, ident))


@dataclass
class Conflict:
    """An answer in the spreadsheet that would overwrite one the ledger already keeps."""

    ident: str
    kept: str
    offered: str


def merge_answers(ledger: Ledger, sheet: dict[str, tuple[str, str]], when: str) -> tuple[int, list[Conflict], list[str]]:
    """Status and answers from the team's spreadsheet into the ledger. An answer once given is never overwritten:
    the spreadsheet may add to it (the old text kept at its start) but not replace it. Returns how many rows were
    updated, the conflicts, and the spreadsheet's statuses that are not valid."""
    updated, conflicts, invalid = 0, [], []
    current = {row.id: row for row in ledger.rows()}
    for ident, (status, answer) in sheet.items():
        row = current.get(ident)
        if row is None:
            continue
        status = status.strip().lower() or row.estado
        answer = answer.strip()
        if status not in STATUSES:
            invalid.append(f"{ident}: «{status}»")
            continue
        if row.respuesta and answer != row.respuesta and not answer.startswith(row.respuesta):
            conflicts.append(Conflict(ident, row.respuesta, answer))
            continue
        if status == "pendiente" and answer:
            status = "respondida"
        if (status, answer or row.respuesta) != (row.estado, row.respuesta):
            ledger.answer(ident, status, answer or row.respuesta, when)
            updated += 1
    return updated, conflicts, invalid


def by_entity(rows: Sequence[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = {}
    for row in rows:
        out.setdefault(row.entidad, []).append(row)
    return out
