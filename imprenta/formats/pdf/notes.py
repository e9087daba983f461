"""Footnotes for the PDF: inline spans floated to the foot of the page, and a check that each stays with its call.

WeasyPrint 70 moves a footnote body to a later page when a line near the bottom overflows (to honour
orphans and widows it "reports" the page's notes instead of moving the line), and a note reported at
the end of a part can even vanish. So after layout every note is looked up: a paragraph whose note left
its page is kept whole with its notes (see `.nota-junta` in estilo.css, and chunks.keep_whole) and the
layout is redone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...document import Document, SourceFile
from ...pandocast import Blocks, Element, stringify, walk

NOTE_CLASS = "nota"
KEEP_CLASS = "nota-junta"


@dataclass
class Note:
    """A footnote of the document: its number, the file it was written in and the start of its text."""

    number: int
    source: SourceFile
    text: str

    @property
    def line(self) -> int:
        """The line of the note's text in its source (the `[^id]: ...` definition), or 1."""
        return self.source.find_line(self.text[:40]) or self.source.find_line(self.text[:15]) or 1


def _note_inlines(blocks: Blocks) -> list[Element]:
    """A footnote's blocks as one run of inlines: `float: footnote` needs the note inline at its call."""
    out: list[Element] = []
    for block in blocks:
        if out:
            out.append({"t": "LineBreak"})
        kind, content = block["t"], block.get("c")
        if kind in ("Para", "Plain"):
            out.extend(content)
        elif kind == "LineBlock":
            for i, line in enumerate(content):
                out.extend(([{"t": "LineBreak"}] if i else []) + line)
        elif kind in ("BulletList", "OrderedList"):
            items = content if kind == "BulletList" else content[1]
            for i, item in enumerate(items):
                marker = "•" if kind == "BulletList" else f"{content[0][0] + i}."
                out.extend(([{"t": "LineBreak"}] if i else []) + [{"t": "Str", "c": marker}, {"t": "Space"}])
                out.extend(_note_inlines(item))
        elif kind == "CodeBlock":
            out.append({"t": "Code", "c": content})
        else:  # anything else keeps its text rather than being dropped
            out.append({"t": "Str", "c": stringify(block)})
    return out


def inline_notes(doc: Document, blocks: Blocks, start: int = 1) -> list[Note]:
    """Turn every Note into a span with an id (`nota-3`), where layout.py finds its call and its text; numbered
    from start (blocks that follow others: a part of the PDF's HTML, see pieces.py)."""
    notes: list[Note] = []
    by_path = {s.path: s for s in doc.sources}

    def transform(items: list[Any], source: SourceFile) -> None:
        for block in items:
            if not isinstance(block, dict) or "t" not in block:
                continue
            if block["t"] == "Div" and "parte" in block["c"][0][1]:
                shown = dict(block["c"][0][2]).get("fuente", "")
                part = by_path.get((doc.master.path.parent / shown).resolve(), source)
                transform(block["c"][1], part)
                continue
            walk(block, lambda el: _convert(el, source))

    def _convert(el: Element, source: SourceFile) -> None:
        if el["t"] == "Note":
            number = start + len(notes)
            notes.append(Note(number, source, stringify(el["c"])))
            el["t"], el["c"] = "Span", [[f"nota-{number}", [NOTE_CLASS], []], _note_inlines(el["c"])]

    transform(blocks, doc.master)
    return notes
