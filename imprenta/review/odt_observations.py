"""Observations from a returned ODT, read natively: office:annotation (with replies and resolved state) and
text:tracked-changes (insertions, deletions, format changes), in the body, tables and notes, traced to the sources
the same way as a DOCX's."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from ..document import Document
from ..errors import Location
from .observations import Observation, _Walker
from .returned import Returned, ReturnedFileError

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
LOEXT = "{urn:org:documentfoundation:names:experimental:office:xmlns:loext:1.0}"
SVG = "{urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0}"
PARAGRAPHS = (f"{TEXT}p", f"{TEXT}h")


def _regions(body: etree._Element) -> dict[str, tuple[str, str, str, str]]:
    """Change id -> (kind, author, date, deleted text) from text:tracked-changes."""
    found = {}
    for region in body.iter(f"{TEXT}changed-region"):
        ident = region.get(f"{TEXT}id") or region.get("{http://www.w3.org/XML/1998/namespace}id") or ""
        for child in region:
            kind = {f"{TEXT}insertion": "inserción", f"{TEXT}deletion": "eliminación",
                    f"{TEXT}format-change": "cambio de formato"}.get(child.tag)
            if kind is None:
                continue
            info = child.find(f"{OFFICE}change-info")
            author = (info.findtext(f"{DC}creator") or "") if info is not None else ""
            date = (info.findtext(f"{DC}date") or "") if info is not None else ""
            deleted = "\n".join(_plain(p) for p in child.iter(*PARAGRAPHS)) if kind == "eliminación" else ""
            found[ident] = (kind, author, date, deleted)
    return found


def _plain(element: etree._Element) -> str:
    """The text of a paragraph as a reader sees it now (spaces, tabs), without notes or annotations."""
    return "".join(text for text, _ in _pieces(element, set()))


DELETED = "__eliminado__"


def _pieces(element: etree._Element, open_changes: set[str],
            regions: dict[str, tuple[str, str, str, str]] | None = None) -> Iterator[tuple[str, frozenset[str]]]:
    """(text, ids of the changes open around it) in reading order; notes and annotations are left out. With
    regions, a deletion point gives back the text it deleted (marked DELETED)."""
    if element.text:
        yield element.text, frozenset(open_changes)
    for child in element:
        tag = child.tag
        if tag == f"{TEXT}change-start":
            open_changes.add(child.get(f"{TEXT}change-id", ""))
        elif tag == f"{TEXT}change-end":
            open_changes.discard(child.get(f"{TEXT}change-id", ""))
        elif tag == f"{TEXT}change":
            region = (regions or {}).get(child.get(f"{TEXT}change-id", ""))
            if region and region[0] == "eliminación":
                yield region[3], frozenset({DELETED})
        elif tag == f"{TEXT}s":
            yield " " * int(child.get(f"{TEXT}c", "1") or 1), frozenset(open_changes)
        elif tag == f"{TEXT}tab":
            yield "\t", frozenset(open_changes)
        elif tag == f"{TEXT}line-break":
            yield "\n", frozenset(open_changes)
        elif tag in (f"{TEXT}note", f"{OFFICE}annotation", f"{TEXT}tracked-changes") or tag.startswith(SVG):
            pass  # notes and annotations are read on their own; a picture's title and description are no text
        else:
            yield from _pieces(child, open_changes, regions)
        if child.tail:
            yield child.tail, frozenset(open_changes)


def original_paragraphs(returned: Returned) -> list[str]:
    """Every paragraph of the body as it was before the entity's tracked changes (insertions out, deletions back):
    what is compared with the text that was sent, to find the edits made without tracking."""
    body = _body(returned)
    regions = _regions(body)
    out = []
    for paragraph in body.iter(*PARAGRAPHS):
        if _inside(paragraph, (f"{TEXT}note", f"{OFFICE}annotation", f"{TEXT}tracked-changes")):
            continue
        out.append(_original(paragraph, regions))
    return out


def _inside(element: etree._Element, tags: tuple[str, ...]) -> bool:
    return any(a.tag in tags for a in element.iterancestors())


def _original(paragraph: etree._Element, regions: dict[str, tuple[str, str, str, str]]) -> str:
    """The paragraph before the tracked changes: inserted text out, deleted text back in its place."""
    return "".join(text for text, changes in _pieces(paragraph, set(), regions)
                   if not any(regions.get(c, ("",))[0] == "inserción" for c in changes))


def _body(returned: Returned) -> etree._Element:
    content = returned.parts.get("content.xml")
    body = content.find(f"{OFFICE}body/{OFFICE}text") if content is not None else None
    if body is None:
        raise ReturnedFileError("no es un ODT completo: falta el texto (content.xml)",
                                "pida a la entidad que lo abra y lo guarde de nuevo como .odt")
    return body


def collect_odt(returned: Returned, doc: Document, entity: str) -> list[Observation]:
    """Every annotation (and reply) and tracked change of a returned ODT, in reading order."""
    body = _body(returned)
    regions = _regions(body)
    walker = _Walker(doc, {s.path: s for s in doc.sources})
    found: list[Observation] = []
    by_name: dict[str, Observation] = {}
    open_annotations: dict[str, tuple[Observation, list[str]]] = {}
    seen_changes: set[str] = set()
    order = 0

    def where(paragraph: etree._Element, text: str, is_heading: bool) -> tuple[list[str], Location | None, str, str]:
        note = next((a for a in paragraph.iterancestors(f"{TEXT}note")), None)
        if note is not None:  # a note's observation is placed where the note is called
            holder = next((a for a in note.iterancestors(*PARAGRAPHS)), None)
            text = _plain(holder) if holder is not None else text
            is_heading = False
        source, traced = walker.where(text, is_heading)
        return walker.section(), source, traced, text

    def place(paragraph: etree._Element) -> str:
        note = next((a for a in paragraph.iterancestors(f"{TEXT}note")), None)
        if note is None:
            return "cuerpo"
        return "nota final" if note.get(f"{TEXT}note-class") == "endnote" else "nota al pie"

    for paragraph in body.iter(*PARAGRAPHS):
        if _inside(paragraph, (f"{OFFICE}annotation", f"{TEXT}tracked-changes")):
            continue
        text = _original(paragraph, regions)
        is_heading = paragraph.tag == f"{TEXT}h" and not _inside(paragraph, (f"{TEXT}note",))
        if is_heading:
            names = [b.get(f"{TEXT}name", "") for b in paragraph.iter(f"{TEXT}bookmark", f"{TEXT}bookmark-start")]
            index = walker.find_heading(names, _plain(paragraph))
            walker.current = index if index is not None else walker.current
        for element in paragraph.iter():
            if element is not paragraph and element.tag in PARAGRAPHS:
                break  # a nested paragraph (a note's) is read on its own
            if _inside(element, (f"{OFFICE}annotation",)) and element.tag != f"{OFFICE}annotation":
                continue
            if element.tag == f"{OFFICE}annotation":
                order += 1
                section, source, traced, anchored = where(paragraph, text, is_heading)
                parent = next((v for k, v in element.attrib.items() if k.endswith("parent-name")), "")
                observation = Observation(
                    entity=entity, file=returned.path.name, kind="respuesta" if parent else "comentario",
                    author=element.findtext(f"{DC}creator") or "", date=element.findtext(f"{DC}date") or "",
                    text="\n".join(_plain(p) for p in element.iter(*PARAGRAPHS)).strip(), section=section,
                    source=source, order=order, ident=element.get(f"{OFFICE}name", "") or f"odt{order}",
                    traced_by=traced, place=place(paragraph), reply_to=parent,
                    resolved=element.get(f"{LOEXT}resolved") == "true", anchored=" ".join(anchored.split()),
                    paragraph=" ".join(anchored.split()))
                found.append(observation)
                if element.get(f"{OFFICE}name"):
                    by_name[element.get(f"{OFFICE}name")] = observation
                    open_annotations[element.get(f"{OFFICE}name")] = (observation, [])
            elif element.tag == f"{OFFICE}annotation-end":
                entry = open_annotations.pop(element.get(f"{OFFICE}name", ""), None)
                if entry:
                    entry[0].anchored = " ".join("".join(entry[1]).split()) or entry[0].anchored
            elif element.tag in (f"{TEXT}change-start", f"{TEXT}change"):
                ident = element.get(f"{TEXT}change-id", "")
                region = regions.get(ident)
                if region is None or ident in seen_changes:
                    continue
                seen_changes.add(ident)
                kind, author, date, deleted = region
                changed = deleted if kind == "eliminación" else _range_text(body, ident)
                if not changed.strip() and kind != "cambio de formato":
                    continue
                order += 1
                section, source, traced, anchored = where(paragraph, text, is_heading)
                found.append(Observation(
                    entity=entity, file=returned.path.name, kind=kind, author=author, date=date,
                    text=changed or "(formato)", anchored=" ".join(anchored.split()), section=section, source=source,
                    order=order, ident=ident, traced_by=traced, place=place(paragraph),
                    paragraph=" ".join(anchored.split())))
        if open_annotations:  # text of the paragraph inside open annotation ranges
            for _, chunks in open_annotations.values():
                chunks.append(_plain(paragraph))
    # A reply sits with the comment it answers.
    for observation in found:
        base = by_name.get(observation.reply_to)
        if observation.kind == "respuesta" and base is not None:
            observation.section, observation.source, observation.traced_by = base.section, base.source, base.traced_by
            observation.order, observation.anchored = base.order, observation.anchored or base.anchored
    return sorted(found, key=lambda o: (o.order, o.kind == "respuesta", o.date, o.ident))


def _range_text(body: etree._Element, ident: str) -> str:
    """The text between a change's start and end marks (they may lie in different paragraphs)."""
    out: list[str] = []
    inside = False
    for paragraph in body.iter(*PARAGRAPHS):
        if _inside(paragraph, (f"{OFFICE}annotation", f"{TEXT}tracked-changes")):
            continue
        for text, changes in _pieces(paragraph, {ident} if inside else set()):
            if ident in changes:
                out.append(text)
        starts = any(c.get(f"{TEXT}change-id") == ident for c in paragraph.iter(f"{TEXT}change-start"))
        ends = any(c.get(f"{TEXT}change-id") == ident for c in paragraph.iter(f"{TEXT}change-end"))
        if starts and not ends:
            inside = True
            out.append("\n")
        elif ends and (inside or starts):
            return "".join(out)
    return "".join(out)
