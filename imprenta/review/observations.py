"""Observations from returned DOCX files: comments (with replies) and tracked changes, traced to the sources.

A returned file is untrusted: it is opened as a zip with size limits, only named parts are read (never
extracted), and XML with a DOCTYPE is refused, so no entity is expanded and nothing outside the file is read.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..document import Document, Heading, SourceFile
from ..errors import Location
from ..formats.ooxml import bookmark_name
from ..importing.prepare import visible_text
from .returned import Returned, ReturnedFileError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
_HEADING_STYLE = re.compile(r"^(?:Heading|Ttulo|Titulo|Título)\s?(\d)$", re.IGNORECASE)


@dataclass
class Observation:
    """One comment, reply, insertion or deletion, with where it sits in the sources."""

    entity: str
    file: str
    kind: str  # comentario, respuesta, inserción, eliminación
    author: str
    date: str
    text: str
    anchored: str = ""
    section: list[str] = field(default_factory=list)
    source: Location | None = None
    order: int = 0  # position in the returned document, for a stable report
    ident: str = ""
    reply_to: str = ""
    traced_by: str = ""  # marcador, texto, or "" when only the cover or contents
    place: str = "cuerpo"  # cuerpo, nota al pie, nota final, encabezado, pie de página
    resolved: bool = False  # a comment marked "resolved" (Word) or "done"
    before: str = ""  # for an untracked edit: the text that was sent
    paragraph: str = ""  # the whole paragraph, as the sources had it: what locates the passage in a later version


def entity_from_name(path: Path, doc_name: str) -> str:
    """The entity named by the file: "plan-revision_ministerio-de-salud.docx" -> "ministerio de salud"."""
    stem = path.stem
    for prefix in (f"{doc_name}-revision", doc_name):
        if stem.lower().startswith(prefix.lower()):
            stem = stem[len(prefix):]
            break
    return re.sub(r"[-_\s]+", " ", stem).strip()


def _text(element: etree._Element, tags: tuple[str, ...] = (f"{W}t",)) -> str:
    return "".join(t.text or "" for t in element.iter(*tags))


def _original_text(paragraph: etree._Element) -> str:
    """The paragraph as the sources have it: its text without insertions, with deletions."""
    return visible_text(paragraph, "rechazar")


def _words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    return re.findall(r"\w+", text.lower())


def plain_lines(source: SourceFile) -> list[str]:
    """Each line of a source as its lower-case words, what locate() searches."""
    return [" ".join(_words(line)) for line in source.lines]


def locate(plain: list[str], heading_line: int, text: str) -> tuple[int, str]:
    """The line where a paragraph's words start (searched from its heading's line), and how it was found."""
    words = _words(text)
    for size in (6, 4, 3, 2):
        for start in range(0, max(1, len(words) - size + 1), max(1, size)):
            key = " ".join(words[start:start + size])
            if not key:
                continue
            for number in range(max(heading_line, 1), len(plain) + 1):
                if key in plain[number - 1]:
                    return number, "texto"
            if start > 12:
                break
    return heading_line, "título"


class _Walker:
    """One pass over document.xml in reading order: headings, comment ranges, insertions and deletions."""

    def __init__(self, doc: Document, sources: dict[Path, SourceFile]) -> None:
        self.doc = doc
        self.sources = sources
        self.by_bookmark = {bookmark_name(h.anchor): i for i, h in enumerate(doc.headings)}
        self.current: int | None = None  # index of the heading we are under
        self.pending_bookmarks: list[str] = []
        self.plain: dict[Path, list[str]] = {}

    def heading_of(self, paragraph: etree._Element, text: str) -> int | None:
        """Which of the document's headings this heading paragraph is: by its bookmark, else by its text."""
        names = self.pending_bookmarks + [b.get(f"{W}name") for b in paragraph.iter(f"{W}bookmarkStart")]
        return self.find_heading(names, text)

    def find_heading(self, names: list[str], text: str) -> int | None:
        for name in names:
            if name in self.by_bookmark:
                return self.by_bookmark[name]
        wanted = " ".join(_words(text))
        start = (self.current or -1) + 1
        for index in list(range(start, len(self.doc.headings))) + list(range(start)):
            if " ".join(_words(self.doc.headings[index].text)) == wanted:
                return index
        return None

    def section(self) -> list[str]:
        if self.current is None:
            return []
        path: list[Heading] = []
        for heading in reversed(self.doc.headings[: self.current + 1]):
            if not path or heading.level < path[0].level:
                path.insert(0, heading)
        return [h.text for h in path]

    def where(self, paragraph_text: str, is_heading: bool) -> tuple[Location | None, str]:
        if self.current is None:
            return None, ""
        heading = self.doc.headings[self.current]
        source = self.sources.get(heading.location.path)
        if is_heading or source is None:
            return heading.location, "marcador"
        if source.path not in self.plain:  # each source's words are computed once, when first needed
            self.plain[source.path] = plain_lines(source)
        line, how = locate(self.plain[source.path], heading.location.line, paragraph_text)
        return Location(heading.location.path, line), how


def collect(returned: Returned, doc: Document, entity: str) -> list[Observation]:
    """Every comment (with its replies and resolved state) and every tracked change of one returned DOCX, in reading
    order: in the body, the footnotes and endnotes (placed where their reference is), headers and footers."""
    parts = returned.parts
    if "word/document.xml" not in parts:
        raise ReturnedFileError("no es un DOCX completo: falta word/document.xml",
                                "pida a la entidad que lo abra y lo guarde de nuevo como .docx")
    body = parts["word/document.xml"].find(f"{W}body")
    if body is None:
        raise ReturnedFileError("word/document.xml no tiene cuerpo (w:body)", "ábralo en Word o LibreOffice y guárdelo de nuevo")
    scan = _Scan(doc, _comments(parts), entity, returned.path.name)
    scan.run(body, "cuerpo")
    for name, place, tag in (("word/footnotes.xml", "nota al pie", "footnote"), ("word/endnotes.xml", "nota final", "endnote")):
        root = parts.get(name)
        if root is None:
            continue
        for note in root.iter(f"{W}{tag}"):
            where = scan.notes.get((tag, note.get(f"{W}id", "")))
            if where is None:
                continue  # the separators Word keeps as notes -1 and 0
            scan.run(note, place, where)
    for name in sorted(parts):
        if re.match(r"^word/(header|footer)\d*\.xml$", name):
            scan.run(parts[name], "encabezado" if "header" in name else "pie de página", ([COVER_SECTION], None, "", ""))
    replies = _reply_parents(parts)
    done = _resolved(parts)
    for ident, observation in scan.comments.items():
        observation.resolved = ident in done
        parent = replies.get(ident)
        if parent and parent in scan.placed:
            # A reply sits with the comment it answers, right after it, whatever its own range says.
            base = scan.placed[parent]
            observation.kind, observation.reply_to = "respuesta", parent
            observation.section, observation.source, observation.traced_by = base.section, base.source, base.traced_by
            observation.anchored = observation.anchored or base.anchored
            observation.order, observation.entity, observation.file = base.order, entity, returned.path.name
            observation.place = base.place
            scan.placed[ident] = observation
    found = scan.found + list(scan.placed.values())
    return sorted(found, key=lambda o: (o.order, o.kind == "respuesta", o.date, o.ident))


COVER_SECTION = "(encabezado o pie de página)"
CHANGE_KINDS = {f"{W}ins": "inserción", f"{W}del": "eliminación", f"{W}moveFrom": "traslado (de aquí)",
                f"{W}moveTo": "traslado (a aquí)"}


class _Scan:
    """Reading order over a part: headings, comment ranges, changes of text, of paragraph marks and of format."""

    def __init__(self, doc: Document, comments: dict[str, Observation], entity: str, file: str) -> None:
        self.walker = _Walker(doc, {s.path: s for s in doc.sources})
        self.comments, self.entity, self.file = comments, entity, file
        self.found: list[Observation] = []
        self.placed: dict[str, Observation] = {}
        self.notes: dict[tuple[str, str], tuple[list[str], Location | None, str, str]] = {}
        self.order = 0

    def _add(self, kind: str, element: etree._Element, text: str, anchored: str, where: tuple, place: str) -> None:
        self.order += 1
        section, source, traced, paragraph = where
        self.found.append(Observation(
            entity=self.entity, file=self.file, kind=kind, author=element.get(f"{W}author", ""),
            date=element.get(f"{W}date", ""), text=text, anchored=" ".join(anchored.split()), section=section,
            source=source, order=self.order, ident=element.get(f"{W}id", ""), traced_by=traced, place=place,
            paragraph=" ".join(paragraph.split())))

    def run(self, container: etree._Element, place: str,
            fixed: tuple[list[str], Location | None, str, str] | None = None) -> None:
        walker = self.walker
        open_ranges: dict[str, list[str]] = {}
        paragraph_text, is_heading = "", False
        last_change: tuple[str, str, str] | None = None

        def where() -> tuple[list[str], Location | None, str, str]:
            if fixed is not None:
                return fixed
            source, traced = walker.where(paragraph_text, is_heading)
            return walker.section(), source, traced, paragraph_text

        for element in container.iter():
            tag = element.tag
            if tag == f"{W}p":
                paragraph_text = _original_text(element)
                style = element.find(f"{W}pPr/{W}pStyle")
                match = _HEADING_STYLE.match(style.get(f"{W}val", "")) if style is not None else None
                is_heading = bool(match) and fixed is None
                if is_heading:
                    index = walker.heading_of(element, paragraph_text)  # as the sources have it
                    walker.current = index if index is not None else walker.current
                walker.pending_bookmarks = []
                last_change = None
                mark = element.find(f"{W}pPr/{W}rPr")
                if mark is not None:  # a paragraph mark inserted (a paragraph split) or deleted (two joined)
                    for change in mark:
                        if change.tag in (f"{W}ins", f"{W}del"):
                            self._add("párrafo dividido" if change.tag == f"{W}ins" else "párrafos unidos", change,
                                      "¶", paragraph_text, where(), place)
                changed = element.find(f"{W}pPr/{W}pPrChange")
                if changed is not None:
                    self._add("cambio de formato", changed, "(formato del párrafo)", paragraph_text, where(), place)
            elif tag == f"{W}bookmarkStart" and element.getparent() is container:
                walker.pending_bookmarks.append(element.get(f"{W}name", ""))
            elif tag in (f"{W}footnoteReference", f"{W}endnoteReference"):
                self.notes[(tag.split("}")[1].replace("Reference", ""), element.get(f"{W}id", ""))] = where()
            elif tag == f"{W}commentRangeStart":
                open_ranges[element.get(f"{W}id", "")] = []
            elif tag in (f"{W}commentRangeEnd", f"{W}commentReference"):
                ident = element.get(f"{W}id", "")
                if ident in self.comments and ident not in self.placed:
                    self.order += 1
                    observation = self.comments[ident]
                    observation.anchored = " ".join("".join(open_ranges.pop(ident, [])).split())
                    observation.section, observation.source, observation.traced_by, paragraph = where()
                    observation.paragraph = " ".join(paragraph.split())
                    observation.order, observation.entity, observation.file = self.order, self.entity, self.file
                    observation.place = place
                    self.placed[ident] = observation
            elif tag in (f"{W}t", f"{W}delText"):
                for chunks in open_ranges.values():
                    chunks.append(element.text or "")
                if tag == f"{W}t" and (element.text or "").strip() and not any(
                        a.tag in CHANGE_KINDS for a in element.iterancestors()):
                    last_change = None
            elif tag == f"{W}rPrChange":
                run = element.getparent().getparent()
                self._add("cambio de formato", element, _text(run) or "(formato)", paragraph_text, where(), place)
            elif tag in CHANGE_KINDS and element.getparent().tag != f"{W}rPr":
                kind = CHANGE_KINDS[tag]
                text = _text(element, (f"{W}delText",) if tag == f"{W}del" else (f"{W}t",))
                if not text:
                    continue
                key = (kind, element.get(f"{W}author", ""), element.get(f"{W}date", ""))
                if last_change == key and self.found and self.found[-1].kind == kind:
                    self.found[-1].text += text  # Word splits one change into runs: keep it one observation
                    continue
                self._add(kind, element, text, paragraph_text, where(), place)
                last_change = key


def _comments(parts: dict[str, etree._Element]) -> dict[str, Observation]:
    root = parts.get("word/comments.xml")
    if root is None:
        return {}
    comments = {}
    for comment in root.iter(f"{W}comment"):
        ident = comment.get(f"{W}id", "")
        text = "\n".join(_text(p) for p in comment.iter(f"{W}p")).strip()
        comments[ident] = Observation(
            entity="", file="", kind="comentario", author=comment.get(f"{W}author", ""),
            date=comment.get(f"{W}date", ""), text=text, ident=ident,
        )
    return comments


def _resolved(parts: dict[str, etree._Element]) -> set[str]:
    """Ids of the comments marked resolved ("done") in commentsExtended.xml."""
    extended, comments = parts.get("word/commentsExtended.xml"), parts.get("word/comments.xml")
    if extended is None or comments is None:
        return set()
    by_paragraph = {}
    for comment in comments.iter(f"{W}comment"):
        paragraphs = comment.findall(f"{W}p")
        if paragraphs and paragraphs[-1].get(f"{W14}paraId"):
            by_paragraph[paragraphs[-1].get(f"{W14}paraId")] = comment.get(f"{W}id", "")
    return {by_paragraph[e.get(f"{W15}paraId")] for e in extended.iter(f"{W15}commentEx")
            if e.get(f"{W15}done") in ("1", "true") and e.get(f"{W15}paraId") in by_paragraph}


def _reply_parents(parts: dict[str, etree._Element]) -> dict[str, str]:
    """Comment id -> id of the comment it answers, from commentsExtended.xml (Word 2013+, LibreOffice 7.2+)."""
    extended, comments = parts.get("word/commentsExtended.xml"), parts.get("word/comments.xml")
    if extended is None or comments is None:
        return {}
    by_paragraph = {}
    for comment in comments.iter(f"{W}comment"):
        paragraphs = comment.findall(f"{W}p")
        if paragraphs and paragraphs[-1].get(f"{W14}paraId"):
            by_paragraph[paragraphs[-1].get(f"{W14}paraId")] = comment.get(f"{W}id", "")
    parents = {}
    for entry in extended.iter(f"{W15}commentEx"):
        if not entry.get(f"{W15}paraIdParent"):
            continue
        child, parent = by_paragraph.get(entry.get(f"{W15}paraId")), by_paragraph.get(entry.get(f"{W15}paraIdParent"))
        if child and parent:
            parents[child] = parent
    return parents
