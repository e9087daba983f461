"""The proof that an import lost nothing: the same counts for the original and for the new sources, and the
original's words found, in order, in the DOCX rebuilt from those sources."""

from __future__ import annotations

import difflib
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import safexml
from ..pandocast import Element, parse_markdown, stringify, walk
from .convert import CAPTION_NUMBER
from .officefile import read_member
from .prepare import CAPTION_NAME, MC, Inventory, W, contents_paragraphs, read_styles, visible_text

WORD = re.compile(r"\w+")


def source_inventory(files: list[Path], top: int) -> Inventory:
    """The sources' counts, headings at the level they had in the original (a part's # is the original's top)."""
    inv = Inventory()
    for index, path in enumerate(files):
        blocks = parse_markdown(path.read_text(encoding="utf-8"), str(path))["blocks"]

        if index == 0 and blocks and blocks[0]["t"] == "Header":
            blocks = blocks[1:]  # the master's title, which Imprenta writes: not a heading of the original
            inv.title_paragraphs += 1
        if index == 0 and blocks and blocks[-1]["t"] == "BulletList":
            blocks = blocks[:-1]  # the master's list of parts, Imprenta's too

        def visit(el: Element) -> None:
            t = el["t"]
            if t == "Header":
                inv.headings[el["c"][0] + top - 1] += 1
            elif t == "Table":
                inv.tables += 1
                if stringify(el["c"][1][1]).strip():
                    inv.captions += 1
                inv.merged_cells += sum(1 for cell in _cells(el) if cell[2] > 1 or cell[3] > 1)
            elif t == "Figure" and stringify(el["c"][1][1]).strip():
                inv.captions += 1
            elif t == "Note":
                inv.footnotes += 1
            elif t == "Image":
                inv.images[el["c"][2][0].rsplit(".", 1)[-1].lower()] += 1
            elif t == "Link":
                inv.links += 1

        walk(blocks, visit)
    return inv


def _cells(table: Element) -> list[list]:
    rows = list(table["c"][3][1]) + list(table["c"][5][1])
    for body in table["c"][4]:
        rows += body[2] + body[3]
    return [cell for row in rows for cell in row[1]]


@dataclass
class WordProof:
    """How many of the original's words the rebuilt document has, in order, and the paragraphs that differ."""

    original: int = 0
    found: int = 0
    missing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    by_design: int = 0  # words of the original's own contents list and page numbers, dropped on purpose

    @property
    def share(self) -> float:
        return self.found / self.original if self.original else 1.0


def paragraphs(docx: Path, changes: str, skip_contents: bool) -> tuple[list[list[str]], int]:
    """The words of a DOCX, paragraph by paragraph (body, then footnotes and endnotes), as a reader sees them once
    the tracked changes are accepted or rejected; and the words of its contents list, left out when skip_contents."""
    with zipfile.ZipFile(docx) as archive:
        names = set(archive.namelist())
        styles, _ = read_styles(read_member(archive, "word/styles.xml") if "word/styles.xml" in names else None)
        out: list[list[str]] = []
        dropped = 0
        for name in ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml"):
            if name not in names:
                continue
            root = safexml.fromstring(read_member(archive, name))
            contents = contents_paragraphs(root, styles) if skip_contents else set()
            for paragraph in root.iter(f"{W}p"):
                if next(paragraph.iterancestors(f"{MC}Fallback"), None) is not None:
                    continue
                text = visible_text(paragraph, changes)
                if skip_contents:
                    style = paragraph.find(f"{W}pPr/{W}pStyle")
                    label = CAPTION_NUMBER.match(text) if style is not None and styles.is_named(
                        style.get(f"{W}val", ""), CAPTION_NAME) else None
                    if label:  # "Ilustración 3": Imprenta gives captions its own label and number
                        dropped += len(WORD.findall(label.group(0)))
                        text = text[label.end():]
                words = WORD.findall(text.lower())
                if not words:
                    continue
                if paragraph in contents:
                    dropped += len(words)
                    continue
                out.append(words)
    return out, dropped


def compare_words(original: list[list[str]], rebuilt: list[list[str]]) -> WordProof:
    """Align paragraphs first (most are equal), then words inside the runs that differ."""
    proof = WordProof(original=sum(len(p) for p in original))
    keys_a, keys_b = [" ".join(p) for p in original], [" ".join(p) for p in rebuilt]
    matcher = difflib.SequenceMatcher(None, keys_a, keys_b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            proof.found += sum(len(p) for p in original[i1:i2])
            continue
        words_a = [w for p in original[i1:i2] for w in p]
        words_b = [w for p in rebuilt[j1:j2] for w in p]
        if words_a and words_b:
            inner = difflib.SequenceMatcher(None, words_a, words_b, autojunk=False)
            proof.found += sum(block.size for block in inner.get_matching_blocks())
        text_b = " " + " ".join(words_b) + " "
        text_a = " " + " ".join(words_a) + " "
        proof.missing += [" ".join(p) for p in original[i1:i2] if f" {' '.join(p)} " not in text_b]
        proof.new += [" ".join(p) for p in rebuilt[j1:j2] if f" {' '.join(p)} " not in text_a]
    return proof


def counts_table(original: Inventory, sources: Inventory, comments: int) -> list[tuple[str, str, str, str]]:
    """(what, in the original, in the sources, "" when they agree or else why not) rows, the same for the console and
    the report."""
    rows: list[tuple[str, int | str, int, str]] = []
    for level in sorted(set(original.headings) | set(sources.headings)):
        rows.append((f"títulos de nivel {level}", original.headings[level], sources.headings[level], ""))
    rows += [
        ("tablas", original.tables, sources.tables, ""),
        ("celdas combinadas", original.merged_cells, sources.merged_cells, ""),
        ("notas (al pie y finales)", original.footnotes + original.endnotes, sources.footnotes, ""),
        ("pies de figura y de tabla", original.captions, sources.captions, ""),
        ("enlaces + referencias cruzadas", f"{original.links} + {original.cross_references}", sources.links, ""),
        ("comentarios (en el informe)", original.comments, comments, ""),
    ]
    formats = sorted(set(original.images) | set(sources.images))
    rows += [(f"imágenes {kind.upper()}", original.images[kind], sources.images[kind], "") for kind in formats]
    out = []
    for what, before, after, why in rows:
        expected = original.links + original.cross_references if what.startswith("enlaces") else before
        if expected != after and what.startswith("enlaces") and original.empty_references:
            why = f"{original.empty_references} referencias cruzadas del original no tienen texto: no dan enlace"
            if after == expected:
                why = ""
        elif expected != after:
            why = "distinto: revise el informe"
        out.append((what, str(before), str(after), why))
    return out


def total(counter: Counter[str] | Counter[int]) -> int:
    return sum(counter.values())
