"""`observaciones --respuestas`: an answer goes back to each entity, one DOCX and one PDF in the state's identity,
with each of its observations, its status, the team's answer and where the passage stands in the current version."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from pathlib import Path

from ..cache import Cache
from ..config import Config
from ..document import Document, Heading
from ..errors import Problems
from ..identity import identify
from ..pandocast import Element, text_inlines
from ..publish import publish
from ..source.anchors import slug
from .ledger import STATUSES, Row, by_entity

log = logging.getLogger(__name__)
FOLDER = "respuestas"


def _para(text: str, strong: str = "") -> Element:
    inlines = ([{"t": "Strong", "c": text_inlines(strong)}, {"t": "Space"}] if strong else []) + text_inlines(text)
    return {"t": "Para", "c": inlines}


def answer_blocks(doc: Document, entity: str, rows: Sequence[Row]) -> tuple[list[Element], list[Heading]]:
    """The answer to one entity: a summary, then each observation with its status and the team's answer."""
    where = doc.master.location(1)
    title = f"Respuesta a las observaciones de {entity}"
    counts = ", ".join(f"{sum(1 for r in rows if r.estado == s)} {s}" for s in STATUSES
                       if any(r.estado == s for r in rows))
    rounds = ", ".join(sorted({r.version for r in rows}))
    blocks: list[Element] = [
        {"t": "Header", "c": [1, ["respuesta", [], []], text_inlines(title)]},
        _para(f"{doc.meta.entidad} agradece las {len(rows)} observaciones de {entity} a «{doc.meta.titulo}» "
              f"(versiones consultadas: {rounds}). Este documento responde cada una y dice dónde está hoy, en la "
              f"versión {doc.meta.version}, el pasaje que anotó. Estado: {counts}."),
    ]
    headings = [Heading("respuesta", 1, title, where)]
    for number, row in enumerate(rows, start=1):
        anchor = f"observacion-{number}"
        heading = f"{number}. {row.tipo.capitalize()} en «{row.seccion}»"
        blocks.append({"t": "Header", "c": [2, [anchor, [], []], text_inlines(heading)]})
        headings.append(Heading(anchor, 2, heading, where))
        blocks.append(_para(row.texto or "(sin texto)", "Observación:"))
        if row.antes:
            blocks.append(_para(row.antes, "Texto anterior:"))
        if row.texto_anotado:
            blocks.append(_para(row.texto_anotado, "Texto anotado:"))
        blocks.append(_para(f"{row.estado}.", "Estado:"))
        blocks.append(_para(row.respuesta or "Pendiente de respuesta del equipo editorial.", "Respuesta:"))
        today = {"sin cambios": "el pasaje sigue igual", "cambió desde entonces": "el pasaje cambió",
                 "ya no existe": "el pasaje ya no existe"}.get(row.estado_del_pasaje, row.estado_del_pasaje)
        blocks.append(_para(f"{today}{' (' + row.fuente_actual + ')' if row.fuente_actual else ''}; "
                            f"observación hecha sobre la versión {row.version}.", "En la versión actual:"))
    return blocks, headings


def answer_documents(config: Config, doc: Document, rows: Sequence[Row], problems: Problems) -> list[Path]:
    """salida/respuestas/<entidad>.docx and .pdf for every entity with observations."""
    from ..pipeline import BuildResult, render

    identity = identify(doc)
    written: list[Path] = []
    for entity, own in sorted(by_entity([r for r in rows if r.tipo != "respuesta"]).items()):
        name = re.sub(r"-+", "-", slug(entity)).strip("-") or "entidad"
        blocks, headings = answer_blocks(doc, entity, own)
        meta = dataclasses.replace(doc.meta, subtitulo=f"Respuesta a las observaciones de {entity}")
        answer = dataclasses.replace(doc, blocks=blocks, headings=headings, images=[], floats=[], meta=meta)
        with Cache(config.cache_dir).workdir() as stage:
            staged = render(answer, identity, config, ("docx", "pdf"), problems, stage, BuildResult())
            named = {}
            for kind in ("docx", "pdf"):
                target = stage / f"{name}.{kind}"
                staged[kind].rename(target)
                named[kind] = target
            published = publish(named, config.output_dir / FOLDER)
        written += list(published.values())
        log.info("  respuesta a %s: %s", entity, ", ".join(p.name for p in published.values()))
    return written
