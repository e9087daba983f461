"""What changed between two versions of a document: a word-level diff of pandoc ASTs, marked as tracked changes.

Changed text becomes Spans of class `insertion` / `deletion` (with author and date), which pandoc's DOCX writer
turns into real tracked changes and its HTML writer into spans that a stylesheet highlights.
"""

from __future__ import annotations

import copy
import difflib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..pandocast import Blocks, Element, stringify, walk

INSERTION, DELETION = "insertion", "deletion"


@dataclass
class Marker:
    """Who and when the tracked changes are attributed to, and what the comparison found."""

    author: str
    date: str
    insertions: int = 0
    deletions: int = 0
    changed: list[tuple[list[str], Element]] = field(default_factory=list)  # (section path, block) for the summary

    def span(self, kind: str, inlines: list[Element]) -> Element:
        if kind == INSERTION:
            self.insertions += 1
        else:
            self.deletions += 1
        return {"t": "Span", "c": [["", [kind], [["author", self.author], ["date", self.date]]], inlines]}


def _key(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _tokens(inlines: list[Element]) -> list[Element]:
    """Words, punctuation, spaces and whole inline elements (emphasis, links, notes): the units the diff compares."""
    out: list[Element] = []
    for inline in inlines:
        if inline["t"] in ("Space", "SoftBreak"):
            out.append({"t": "Space"})
        elif inline["t"] == "Str":
            out.extend({"t": "Str", "c": piece} for piece in re.findall(r"\w+|\W", inline["c"]))
        else:
            out.append(inline)
    return out


def _phrases(opcodes: list[tuple[str, int, int, int, int]], a: list[Element]) -> list[tuple[str, int, int, int, int]]:
    """Changes read as phrases: changed words separated only by spaces or punctuation that stayed become one change
    (~~ya ha realizado~~ realizó hasta 2024, not ~~ya~~realizó ~~ha~~hasta ~~realizado~~2024)."""
    merged: list[tuple[str, int, int, int, int]] = []
    for op in opcodes:
        if (merged and op[0] != "equal" and len(merged) >= 2 and merged[-1][0] == "equal"
                and merged[-2][0] != "equal" and all(t["t"] == "Space" or (t["t"] == "Str" and not t["c"].isalnum())
                                                     for t in a[merged[-1][1]:merged[-1][2]])):
            merged.pop()  # the spaces between the two changes go into the phrase
            first = merged.pop()
            merged.append(("replace", first[1], op[2], first[3], op[4]))
            continue
        merged.append(op)
    return merged


def diff_inlines(old: list[Element], new: list[Element], marker: Marker) -> list[Element]:
    """new, with the words that differ from old marked: deleted words first, then inserted ones, by phrase."""
    a, b = _tokens(old), _tokens(new)
    matcher = difflib.SequenceMatcher(None, [_key(t) for t in a], [_key(t) for t in b], autojunk=False)
    out: list[Element] = []
    for op, i1, i2, j1, j2 in _phrases(matcher.get_opcodes(), a):
        if op == "equal":
            out.extend(b[j1:j2])
            continue
        if i2 > i1:
            out.append(marker.span(DELETION, without_images(a[i1:i2])))
        if j2 > j1:
            out.append(marker.span(INSERTION, b[j1:j2]))
    return out


def without_images(value: Any) -> Any:
    """A copy with every image replaced by its alternative text, at any depth (in headings, links, cells):
    deleted text keeps no image, since the old version's images are not in the new document."""
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            if isinstance(item, dict) and item.get("t") == "Image":
                out.extend(without_images(item["c"][1]) or [{"t": "Str", "c": "[imagen]"}])
            else:
                out.append(without_images(item))
        return out
    if isinstance(value, dict):
        return {key: without_images(child) for key, child in value.items()}
    return value


def mark_whole(block: Element, kind: str, marker: Marker) -> Element:
    """A block inserted or deleted as a whole: every run of its text inside one change."""
    block = without_images(block) if kind == DELETION else copy.deepcopy(block)
    if block["t"] == "CodeBlock":  # no inlines to mark: the code becomes one marked code span
        block = {"t": "Para", "c": [{"t": "Code", "c": block["c"]}]}
    elif block["t"] == "HorizontalRule":
        block = {"t": "Para", "c": [{"t": "Str", "c": "———"}]}

    def visit(el: Element) -> None:
        if el["t"] in ("Para", "Plain") and el["c"]:
            el["c"] = [marker.span(kind, el["c"])]
        elif el["t"] == "Header" and el["c"][2]:
            el["c"][2] = [marker.span(kind, el["c"][2])]

    walk(block, visit)
    return block


# Blocks diffed inside; any other kind that changed (code, rules, raw blocks) is deleted and inserted whole.
DIFFED_INSIDE = frozenset({"Para", "Plain", "Header", "Table", "BulletList", "OrderedList", "Div", "BlockQuote", "Figure"})


def _similar(a: Element, b: Element) -> bool:
    if a["t"] != b["t"] or a["t"] not in DIFFED_INSIDE or (a["t"] == "Header" and a["c"][0] != b["c"][0]):
        return False
    if a["t"] == "Table":  # the same columns: rows are aligned inside
        return {len(r) for r in _table_rows(a)} == {len(r) for r in _table_rows(b)}
    if a["t"] in ("BulletList", "OrderedList", "Div", "BlockQuote", "Figure"):
        return True
    return difflib.SequenceMatcher(None, stringify(a).split(), stringify(b).split(), autojunk=False).ratio() >= 0.4


def _table_rows(table: Element) -> list[list[Any]]:
    """Every row of a pandoc 3 table (head, bodies, foot), as lists of cells."""
    head, bodies, foot = table["c"][3], table["c"][4], table["c"][5]
    rows = list(head[1])
    for body in bodies:
        rows += body[2] + body[3]
    rows += foot[1]
    return [row[1] for row in rows]


def diff_pair(old: Element, new: Element, marker: Marker) -> Element:
    """Two versions of one block: the new one with the words that changed marked inside it."""
    result = copy.deepcopy(new)
    kind = new["t"]
    if kind in ("Para", "Plain"):
        result["c"] = diff_inlines(old["c"], new["c"], marker)
    elif kind == "Header":
        result["c"][2] = diff_inlines(old["c"][2], new["c"][2], marker)
    elif kind == "Table":
        _diff_table(old, result, marker)
    elif kind in ("BulletList", "OrderedList"):
        index = 0 if kind == "BulletList" else 1
        items = diff_sequence(old["c"][index] if kind == "OrderedList" else old["c"],
                              new["c"][index] if kind == "OrderedList" else new["c"], marker,
                              lambda o, n: diff_blocks(o, n, marker), _mark_item)
        if kind == "OrderedList":
            result["c"][1] = items
        else:
            result["c"] = items
    elif kind == "Div":
        result["c"][1] = diff_blocks(old["c"][1], new["c"][1], marker)
    elif kind == "BlockQuote":
        result["c"] = diff_blocks(old["c"], new["c"], marker)
    elif kind == "Figure":
        result["c"][1][1] = diff_blocks(old["c"][1][1], new["c"][1][1], marker)
    else:  # never reached: diff_sequence pairs only kinds in DIFFED_INSIDE
        raise ValueError(f"no se comparan por dentro los bloques {kind}")
    return result


def _row_key(row: list[Any]) -> str:
    return " ".join(stringify(cell[4]) for cell in row[1])


def _diff_rows(old: list[Any], new: list[Any], marker: Marker) -> list[Any]:
    """Rows aligned by their content, not their position: an added row is one insertion, a removed one a deletion
    (kept in the table, marked), and a changed row is compared cell by cell."""

    def pair(o: list[Any], n: list[Any]) -> list[Any]:
        row = copy.deepcopy(n)
        for old_cell, new_cell in zip(o[1], row[1]):
            new_cell[4] = diff_blocks(old_cell[4], new_cell[4], marker)
        return row

    def whole(row: list[Any], kind: str, _: Marker) -> list[Any]:
        row = without_images(row) if kind == DELETION else copy.deepcopy(row)
        for cell in row[1]:
            cell[4] = [mark_whole(b, kind, marker) for b in cell[4]] or cell[4]
        return row

    def similar(o: list[Any], n: list[Any]) -> bool:
        return len(o[1]) == len(n[1]) and difflib.SequenceMatcher(
            None, _row_key(o).split(), _row_key(n).split(), autojunk=False).ratio() >= 0.5

    return diff_sequence(old, new, marker, pair, whole, similar, key=_row_key)


def _diff_table(old: Element, result: Element, marker: Marker) -> None:
    """A table's head, bodies and foot, each with its rows aligned by content."""
    result["c"][3][1] = _diff_rows(old["c"][3][1], result["c"][3][1], marker)
    for index, body in enumerate(result["c"][4]):
        before = old["c"][4][index] if index < len(old["c"][4]) else [None, None, [], []]
        body[3] = _diff_rows(before[3], body[3], marker)
    result["c"][5][1] = _diff_rows(old["c"][5][1], result["c"][5][1], marker)


def _mark_item(item: Blocks, kind: str, marker: Marker) -> Blocks:
    return [mark_whole(b, kind, marker) for b in item]


def diff_sequence(old: Sequence[Any], new: Sequence[Any], marker: Marker,
                  pair: Callable[[Any, Any], Any], whole: Callable[[Any, str, Marker], Any],
                  similar: Callable[[Any, Any], bool] = lambda a, b: True,
                  key: Callable[[Any], str] = _key) -> list[Any]:
    """Align two sequences (blocks, list items, table rows) by their content: unchanged kept, similar ones diffed
    inside, the rest marked whole."""
    matcher = difflib.SequenceMatcher(None, [key(x) for x in old], [key(x) for x in new], autojunk=False)
    out: list[Any] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            out.extend(copy.deepcopy(list(new[j1:j2])))
            continue
        olds, news = list(old[i1:i2]), list(new[j1:j2])
        while olds and news:
            # One-for-one replacements of the same kind are diffed inside; otherwise only similar ones are.
            same_kind = len(olds) == len(news) and _kind(olds[0]) is not None and _kind(olds[0]) == _kind(news[0])
            if same_kind or similar(olds[0], news[0]):
                out.append(pair(olds.pop(0), news.pop(0)))
            elif len(olds) >= len(news):
                out.append(whole(olds.pop(0), DELETION, marker))
            else:
                out.append(whole(news.pop(0), INSERTION, marker))
        out.extend(whole(x, DELETION, marker) for x in olds)
        out.extend(whole(x, INSERTION, marker) for x in news)
    return out


def _kind(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("t") not in DIFFED_INSIDE:
            return None  # never paired: changed whole
        return (value.get("t"), value["c"][0]) if value.get("t") == "Header" else value.get("t")
    return "item"


def diff_blocks(old: Blocks, new: Blocks, marker: Marker) -> Blocks:
    return diff_sequence(old, new, marker, lambda o, n: diff_pair(o, n, marker), mark_whole, _similar)


def has_change(block: Element) -> bool:
    found = False

    def visit(el: Element) -> None:
        nonlocal found
        if el["t"] == "Span" and {INSERTION, DELETION} & set(el["c"][0][1]):
            found = True

    walk(block, visit)
    return found


def compare(old: Blocks, new: Blocks, marker: Marker) -> Blocks:
    """The new document with every change since old marked; marker.changed lists the changed blocks by section."""
    result = diff_blocks(old, new, marker)
    path: list[tuple[int, str]] = []

    def scan(blocks: Blocks) -> None:
        nonlocal path
        for block in blocks:
            if block["t"] == "Div":  # a part's wrapper: its headings and paragraphs are what changed
                scan(block["c"][1])
                continue
            if block["t"] == "Header":
                level = block["c"][0]
                text = stringify(without_changes(block, DELETION)["c"][2])
                path = [p for p in path if p[0] < level] + [(level, text)]
            if has_change(block):
                marker.changed.append(([text for _, text in path], block))

    scan(result)
    return result


def without_changes(value: Any, kind: str = DELETION) -> Any:
    """A copy with one kind of change dropped (deletions, to read the new text)."""
    if isinstance(value, list):
        return [without_changes(v, kind) for v in value
                if not (isinstance(v, dict) and v.get("t") == "Span" and kind in v["c"][0][1])]
    if isinstance(value, dict):
        return {k: without_changes(v, kind) for k, v in value.items()}
    return value


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def mark_whole_paragraphs(document_xml: bytes) -> bytes:
    """In the change DOCX, a paragraph (a list item) or a table row inserted or deleted whole gets its paragraph mark
    or its row marked too: after "accept all" no empty bullet or row is left, after "reject all" none appears."""
    from lxml import etree

    from .. import safexml

    root = safexml.fromstring(document_xml)
    counter = iter(range(900_000, 10_000_000))

    def state(paragraph: etree._Element) -> etree._Element | None:
        """The w:ins or w:del that holds every piece of text of the paragraph, if one kind holds it all."""
        texts = list(paragraph.iter(f"{W}t", f"{W}delText"))
        if not texts:
            return None
        holders = []
        for text in texts:
            holder = next((a for a in text.iterancestors() if a.tag in (f"{W}ins", f"{W}del")), None)
            if holder is None:
                return None
            holders.append(holder)
        kinds = {h.tag for h in holders}
        return holders[0] if len(kinds) == 1 else None

    def mark(parent: etree._Element, holder: etree._Element) -> None:
        etree.SubElement(parent, holder.tag, {f"{W}id": str(next(counter)), f"{W}author": holder.get(f"{W}author", ""),
                                             f"{W}date": holder.get(f"{W}date", "")})

    whole: dict[etree._Element, etree._Element] = {}
    for paragraph in root.iter(f"{W}p"):
        holder = state(paragraph)
        if holder is None:
            continue
        whole[paragraph] = holder
        properties = paragraph.find(f"{W}pPr")
        if properties is None:
            properties = etree.Element(f"{W}pPr")
            paragraph.insert(0, properties)
        run_properties = properties.find(f"{W}rPr")
        if run_properties is None:
            run_properties = etree.SubElement(properties, f"{W}rPr")  # last in w:pPr, as the schema wants
        mark(run_properties, holder)
    for row in root.iter(f"{W}tr"):
        paragraphs = list(row.iter(f"{W}p"))
        holders = [whole.get(p) for p in paragraphs]
        if not paragraphs or any(h is None for h in holders) or len({h.tag for h in holders}) != 1:
            continue
        properties = row.find(f"{W}trPr")
        if properties is None:
            properties = etree.Element(f"{W}trPr")
            row.insert(1 if len(row) and row[0].tag == f"{W}tblPrEx" else 0, properties)
        mark(properties, holders[0])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
