"""Observations from returned DOCX files: comments (with replies) and tracked changes, traced to the sources.

A returned file is untrusted: it is opened as a zip with size limits, only named parts are read (never
extracted), and XML with a DOCTYPE is refused, so no entity is expanded and nothing outside the file is read.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .. import safexml
from ..document import Document, Heading, SourceFile
from ..errors import ImprentaError, Location
from ..formats.ooxml import bookmark_name

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
W14 = "{http://schemas.microsoft.com/office/word/2010/wordml}"
W15 = "{http://schemas.microsoft.com/office/word/2012/wordml}"
MAX_FILE_BYTES = 100 * 1024 * 1024  # a returned plan is a few hundred kB; anything near this is not one
MAX_PART_BYTES = 64 * 1024 * 1024  # uncompressed size of one XML part
MAX_RATIO = 150  # compression ratio of a part beyond which it is taken for a zip bomb
PARTS = ("word/document.xml", "word/comments.xml", "word/commentsExtended.xml")
_HEADING_STYLE = re.compile(r"^(?:Heading|Ttulo|Titulo|Título)\s?(\d)$", re.IGNORECASE)


class ReturnedFileError(ImprentaError):
    """A returned file that cannot be read safely; the others are still collected."""

    category = "observaciones"


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


def read_parts(path: Path) -> dict[str, etree._Element]:
    """The XML parts Imprenta needs from a DOCX, each checked before it is parsed."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ReturnedFileError(f"no se puede leer: {exc.strerror}") from exc
    if size > MAX_FILE_BYTES:
        raise ReturnedFileError(f"demasiado grande ({size // (1024 * 1024)} MB; el máximo es {MAX_FILE_BYTES // (1024 * 1024)} MB)",
                                "un plan anotado ocupa menos de un megabyte; pida a la entidad el archivo correcto")
    if not zipfile.is_zipfile(path):
        raise ReturnedFileError("no es un DOCX (no es un archivo ZIP)", "pida a la entidad que guarde el archivo como .docx")
    parts: dict[str, etree._Element] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if PARTS[0] not in names:
                raise ReturnedFileError(f"no es un DOCX completo: falta {PARTS[0]}",
                                        "ábralo en Word o LibreOffice y guárdelo de nuevo como .docx")
            for name in PARTS:
                if name not in names:
                    continue
                info = archive.getinfo(name)
                if info.file_size > MAX_PART_BYTES or info.file_size > MAX_RATIO * max(info.compress_size, 1024):
                    raise ReturnedFileError(
                        f"{name} se descomprime a {info.file_size // (1024 * 1024)} MB desde {info.compress_size} bytes:"
                        " parece una bomba ZIP y no se abre",
                        "pida a la entidad el archivo original",
                    )
                parts[name] = _parse(archive.read(name), name)  # reads at most the declared size
    except zipfile.BadZipFile as exc:
        raise ReturnedFileError(f"el ZIP está dañado: {exc}", "pida a la entidad que lo envíe de nuevo") from exc
    return parts


def _parse(data: bytes, name: str) -> etree._Element:
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise ReturnedFileError(f"{name} declara un DOCTYPE o entidades XML, que Word nunca escribe: no se abre",
                                "el archivo fue manipulado; pida a la entidad el original")
    try:
        return safexml.fromstring(data)
    except etree.XMLSyntaxError as exc:
        raise ReturnedFileError(f"{name} no es XML válido: {exc}", "ábralo en Word o LibreOffice y guárdelo de nuevo") from exc


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
    out = []
    for t in paragraph.iter(f"{W}t", f"{W}delText"):
        if t.tag == f"{W}t" and any(a.tag == f"{W}ins" for a in t.iterancestors()):
            continue
        out.append(t.text or "")
    return "".join(out)


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


def collect(path: Path, doc: Document, entity: str) -> list[Observation]:
    """Every comment (and reply) and tracked change of one returned DOCX, in reading order."""
    parts = read_parts(path)
    body = parts["word/document.xml"].find(f"{W}body")
    if body is None:
        raise ReturnedFileError("word/document.xml no tiene cuerpo (w:body)", "ábralo en Word o LibreOffice y guárdelo de nuevo")
    comments = _comments(parts)
    walker = _Walker(doc, {s.path: s for s in doc.sources})
    found: list[Observation] = []
    open_ranges: dict[str, list[str]] = {}
    placed: dict[str, Observation] = {}
    order = 0
    paragraph_text, is_heading = "", False
    last_change: tuple[str, str, str] | None = None
    for element in body.iter():
        tag = element.tag
        if tag == f"{W}p":
            paragraph_text = _original_text(element)
            style = element.find(f"{W}pPr/{W}pStyle")
            match = _HEADING_STYLE.match(style.get(f"{W}val", "")) if style is not None else None
            is_heading = bool(match)
            if is_heading:
                index = walker.heading_of(element, _text(element))
                walker.current = index if index is not None else walker.current
            walker.pending_bookmarks = []
            last_change = None
        elif tag == f"{W}bookmarkStart" and element.getparent() is body:
            walker.pending_bookmarks.append(element.get(f"{W}name", ""))
        elif tag == f"{W}commentRangeStart":
            open_ranges[element.get(f"{W}id", "")] = []
        elif tag in (f"{W}commentRangeEnd", f"{W}commentReference"):
            ident = element.get(f"{W}id", "")
            if ident in comments and ident not in placed:
                order += 1
                observation = comments[ident]
                observation.anchored = " ".join("".join(open_ranges.pop(ident, [])).split())
                # Located only when an observation is there: most paragraphs have none.
                observation.section = walker.section()
                observation.source, observation.traced_by = walker.where(paragraph_text, is_heading)
                observation.order, observation.entity, observation.file = order, entity, path.name
                placed[ident] = observation
        elif tag in (f"{W}t", f"{W}delText"):
            for chunks in open_ranges.values():
                chunks.append(element.text or "")
            if tag == f"{W}t" and (element.text or "").strip() and not any(
                a.tag in (f"{W}ins", f"{W}del") for a in element.iterancestors()
            ):
                last_change = None
        elif tag in (f"{W}ins", f"{W}del") and element.getparent().tag != f"{W}rPr":
            kind = "inserción" if tag == f"{W}ins" else "eliminación"
            text = _text(element, (f"{W}t",) if kind == "inserción" else (f"{W}delText",))
            if not text:
                continue
            key = (kind, element.get(f"{W}author", ""), element.get(f"{W}date", ""))
            if last_change == key and found and found[-1].kind == kind:
                found[-1].text += text  # Word splits one change into runs: keep it one observation
                continue
            order += 1
            where = walker.where(paragraph_text, is_heading)
            found.append(Observation(
                entity=entity, file=path.name, kind=kind, author=key[1], date=key[2], text=text,
                anchored=" ".join(paragraph_text.split()), section=walker.section(), source=where[0],
                order=order, ident=element.get(f"{W}id", ""), traced_by=where[1],
            ))
            last_change = key
    replies = _reply_parents(parts)
    for ident, observation in comments.items():
        parent = replies.get(ident)
        if parent and parent in placed:
            # A reply sits with the comment it answers, right after it, whatever its own range says.
            base = placed[parent]
            observation.kind, observation.reply_to = "respuesta", parent
            observation.section, observation.source, observation.traced_by = base.section, base.source, base.traced_by
            observation.anchored = observation.anchored or base.anchored
            observation.order, observation.entity, observation.file = base.order, entity, path.name
            placed[ident] = observation
    found.extend(placed.values())
    return sorted(found, key=lambda o: (o.order, o.kind == "respuesta", o.date, o.ident))


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
