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

from ..pandocast import Blocks, Element, expand, stringify, walk

INSERTION, DELETION = "insertion", "deletion"
MOVE = "traslado"  # an extra class: a block deleted in one place and inserted, the same, in another
MOVE_AUTHOR_TAG = " \u00b7 traslado "  # + the move's number: carried by the author into the DOCX, where moves
# become w:moveFrom/w:moveTo pairs (see mark_moves)


@dataclass
class Marker:
    """Who and when the tracked changes are attributed to, and what the comparison found."""

    author: str
    date: str
    insertions: int = 0
    deletions: int = 0
    changed: list[tuple[list[str], Element]] = field(default_factory=list)  # (section path, block) for the summary
    moves: list[str] = field(default_factory=list)  # what moved, by its first words, for the summary
    moving: int = 0  # while marking a moved block: its number (from 1)

    def span(self, kind: str, inlines: list[Element]) -> Element:
        if self.moving:
            return {"t": "Span", "c": [["", [kind, MOVE], [["author", f"{self.author}{MOVE_AUTHOR_TAG}{self.moving}"],
                                                          ["date", self.date]]], inlines]}
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
        inside = _diff_inside(a[i1], b[j1], marker) if i2 - i1 == 1 and j2 - j1 == 1 else None
        if inside is not None:
            out.append(inside)
            continue
        if i2 > i1:
            out.append(marker.span(DELETION, without_images(a[i1:i2])))
        if j2 > j1:
            out.append(marker.span(INSERTION, b[j1:j2]))
    return out


# Inline elements whose content is compared inside when one replaced the other: a footnote whose text changed is one
# footnote with its changed words marked, not a deleted note and an inserted one.
_INLINE_CONTAINERS = frozenset({"Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"})


def _diff_inside(old: Element, new: Element, marker: Marker) -> Element | None:
    if old["t"] != new["t"]:
        return None
    if new["t"] == "Note":
        return {"t": "Note", "c": diff_blocks(old["c"], new["c"], marker)}
    if new["t"] in _INLINE_CONTAINERS:
        return {"t": new["t"], "c": diff_inlines(old["c"], new["c"], marker)}
    if new["t"] == "Link" and old["c"][2] == new["c"][2]:  # the same target, other words
        return {"t": "Link", "c": [new["c"][0], diff_inlines(old["c"][1], new["c"][1], marker), new["c"][2]]}
    return None


def without_images(value: Any) -> Any:
    """A copy with every image replaced by its alternative text, at any depth (in headings, links, cells):
    deleted text keeps no image, since the old version's images are not in the new document."""
    return expand(value, lambda el: (without_images(el["c"][1]) or [{"t": "Str", "c": "[imagen]"}])
                  if el["t"] == "Image" else None)


# Where each element keeps its attributes (identifier, classes, key-values), by position in "c".
_ATTR_AT = {"Header": 1, "Div": 0, "Table": 0, "Figure": 0, "Span": 0, "CodeBlock": 0, "Code": 0, "Link": 0, "Image": 0}


def without_anchors(value: Any) -> Any:
    """Deleted text keeps no identifiers: the anchors belong to the new text (a moved part is in the document twice,
    deleted where it was and inserted where it is, and links go to where it is)."""
    if isinstance(value, list):
        return [without_anchors(v) for v in value]
    if isinstance(value, dict):
        out = {k: without_anchors(v) for k, v in value.items()}
        at = _ATTR_AT.get(value.get("t", ""))
        if at is not None and isinstance(out.get("c"), list) and len(out["c"]) > at and out["c"][at] \
                and isinstance(out["c"][at], list) and isinstance(out["c"][at][0], str):
            out["c"][at] = ["", *out["c"][at][1:]]
        return out
    return value


def mark_whole(block: Element, kind: str, marker: Marker) -> Element:
    """A block inserted or deleted as a whole: every run of its text inside one change."""
    block = without_anchors(without_images(block)) if kind == DELETION else copy.deepcopy(block)
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
    if a["t"] == "Table":  # the same columns, or columns that can be aligned: rows are aligned inside
        return _columns(a) == _columns(b) or (_plain_grid(a) and _plain_grid(b))
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


def _columns(table: Element) -> set[int]:
    return {len(r) for r in _table_rows(table)}


def _plain_grid(table: Element) -> bool:
    """No cell spans rows or columns: columns can be added, removed and aligned."""
    return all(cell[2] == 1 and cell[3] == 1 for row in _table_rows(table) for cell in row) and len(_columns(table)) <= 1


def _column_names(table: Element) -> list[str]:
    rows = _table_rows(table)
    head = table["c"][3][1]
    first = head[0][1] if head else (rows[0] if rows else [])
    return [stringify(cell[4]) for cell in first]


def _aligned_columns(old: Element, new: Element) -> tuple[Element, Element]:
    """Two versions of a table whose columns differ, both widened to every column of either (aligned by their
    headings): a column added is then a column of inserted cells, one removed a column of deleted cells."""
    a, b = _column_names(old), _column_names(new)
    union: list[tuple[int | None, int | None]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        shared = min(i2 - i1, j2 - j1) if op in ("equal", "replace") else 0
        union += [(i1 + k, j1 + k) for k in range(shared)]
        union += [(i, None) for i in range(i1 + shared, i2)]
        union += [(None, j) for j in range(j1 + shared, j2)]

    def widen(table: Element, side: int) -> Element:
        table = copy.deepcopy(table)
        specs = table["c"][2]
        default = [{"t": "AlignDefault"}, {"t": "ColWidthDefault"}]
        table["c"][2] = [specs[pos[side]] if pos[side] is not None else default for pos in union]
        rows = list(table["c"][3][1]) + list(table["c"][5][1])
        for body in table["c"][4]:
            rows += body[2] + body[3]
        for row in rows:
            cells = row[1]
            row[1] = [cells[pos[side]] if pos[side] is not None else [["", [], []], {"t": "AlignDefault"}, 1, 1, []]
                      for pos in union]
        return table

    return widen(old, 0), widen(new, 1)


def diff_pair(old: Element, new: Element, marker: Marker) -> Element:
    """Two versions of one block: the new one with the words that changed marked inside it."""
    result = copy.deepcopy(new)
    kind = new["t"]
    if kind in ("Para", "Plain"):
        result["c"] = diff_inlines(old["c"], new["c"], marker)
    elif kind == "Header":
        result["c"][2] = diff_inlines(old["c"][2], new["c"][2], marker)
    elif kind == "Table":
        if _columns(old) != _columns(new):
            old, result = _aligned_columns(old, new)
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
        row = without_anchors(without_images(row)) if kind == DELETION else copy.deepcopy(row)
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
                  key: Callable[[Any], str] = _key, identity: Callable[[Any], str] | None = None) -> list[Any]:
    """Align two sequences (blocks, list items, table rows) by their identity (by default their content): unchanged
    kept, similar ones diffed inside, the rest marked whole. An item deleted in one place and inserted, the same,
    in another is marked as moved."""
    ident = identity or key
    if identity is not None and len(old) * len(new) <= 250_000:
        opcodes = _opcodes_keeping_changed(old, new, ident, key)
    else:
        opcodes = difflib.SequenceMatcher(None, [ident(x) for x in old], [ident(x) for x in new],
                                          autojunk=False).get_opcodes()
    steps: list[tuple[str, Any, Any]] = []  # ("keep" | "pair", old, new), ("del", old, None), ("ins", None, new)
    for op, i1, i2, j1, j2 in opcodes:
        if op == "equal":
            steps.extend(("keep" if key(o) == key(n) else "pair", o, n) for o, n in zip(old[i1:i2], new[j1:j2]))
            continue
        steps.extend(_replaced(list(old[i1:i2]), list(new[j1:j2]), similar))
    moved = ({ident(o) for step, o, _ in steps if step == "del"} & {ident(n) for step, _, n in steps if step == "ins"})
    numbers: dict[str, int] = {}
    out: list[Any] = []
    for step, o, n in steps:
        if step == "keep":
            out.append(copy.deepcopy(n))
        elif step == "pair":
            out.append(pair(o, n))
        else:
            item = o if step == "del" else n
            if ident(item) in moved:
                if ident(item) not in numbers:
                    twin = next(n if step == "del" else o for st, o, n in steps
                                if st == ("ins" if step == "del" else "del") and ident(n if step == "del" else o) == ident(item))
                    marker.moves.append(_label(item) + ("" if key(twin) == key(item) else " (y su texto cambió)"))
                    numbers[ident(item)] = len(marker.moves)
                marker.moving = numbers[ident(item)]
            try:
                out.append(whole(item, DELETION if step == "del" else INSERTION, marker))
            finally:
                marker.moving = 0
    return out


def _replaced(olds: list[Any], news: list[Any],
              similar: Callable[[Any, Any], bool]) -> list[tuple[str, Any, Any]]:
    """A run of old items replaced by a run of new ones: the pairs that are most alike (in order) are compared
    inside, the others deleted or inserted whole. A single item replaced by one of the same kind is always compared
    inside (a one-word heading that changed its word is still that heading)."""
    if len(olds) == 1 and len(news) == 1 and _kind(olds[0]) is not None and _kind(olds[0]) == _kind(news[0]):
        return [("pair", olds[0], news[0])]
    if len(olds) * len(news) > 10_000:  # too many to weigh: in order, similar neighbours paired
        pairs = [(i, i) for i in range(min(len(olds), len(news))) if similar(olds[i], news[i])]
    else:
        words = [stringify(x).split() for x in olds], [stringify(x).split() for x in news]

        def weight(i: int, j: int) -> float:
            if _kind(olds[i]) != _kind(news[j]) or not similar(olds[i], news[j]):
                return 0.0
            return difflib.SequenceMatcher(None, words[0][i], words[1][j], autojunk=False).ratio() + 0.01
        pairs = _heaviest_pairs(len(olds), len(news), weight)
    steps: list[tuple[str, Any, Any]] = []
    i = j = 0
    for pi, pj in [*pairs, (len(olds), len(news))]:
        steps += [("del", o, None) for o in olds[i:pi]] + [("ins", None, n) for n in news[j:pj]]
        if pi < len(olds) and pj < len(news):
            steps.append(("pair", olds[pi], news[pj]))
        i, j = pi + 1, pj + 1
    return steps


def _heaviest_pairs(n: int, m: int, weight: Callable[[int, int], float]) -> list[tuple[int, int]]:
    """The order-preserving pairing of n old and m new items with the greatest total weight (0: never paired)."""
    memo: dict[tuple[int, int], float] = {}
    score = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            w = memo[i, j] = weight(i, j)
            score[i][j] = max(score[i + 1][j], score[i][j + 1], score[i + 1][j + 1] + w if w else 0.0)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        w = memo[i, j]
        if w and score[i][j] == score[i + 1][j + 1] + w:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif score[i + 1][j] >= score[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _opcodes_keeping_changed(old: Sequence[Any], new: Sequence[Any], ident: Callable[[Any], str],
                             key: Callable[[Any], str]) -> list[tuple[str, int, int, int, int]]:
    """Opcodes of the longest alignment by identity that, among equally long ones, keeps in place the items that
    changed: when parts are reordered, the one shown as moved is one that did not change (its move says it all),
    and a part that moved and changed is still compared word by word where it can be."""
    a, b = [ident(x) for x in old], [ident(x) for x in new]
    matches = _heaviest_pairs(len(a), len(b), lambda i, j: 1000 + (key(old[i]) != key(new[j])) if a[i] == b[j] else 0)
    opcodes: list[tuple[str, int, int, int, int]] = []
    i = j = 0
    for mi, mj in [*matches, (len(a), len(b))]:
        if mi > i or mj > j:
            opcodes.append(("replace" if mi > i and mj > j else "delete" if mi > i else "insert", i, mi, j, mj))
        if mi < len(a) and mj < len(b):
            opcodes.append(("equal", mi, mi + 1, mj, mj + 1))
        i, j = mi + 1, mj + 1
    return opcodes


def _label(item: Any) -> str:
    """A moved item as the summary names it: a part by its title, anything else by its first words."""
    if isinstance(item, dict) and item.get("t") == "Div":
        heading = next((b for b in item["c"][1] if b["t"] == "Header"), None)
        if heading is not None:
            return stringify(heading["c"][2])
    words = stringify(item if isinstance(item, dict) else {"t": "Div", "c": [["", [], []], item]}).split()
    return " ".join(words[:8]) + (" …" if len(words) > 8 else "")


def _identity(block: Element) -> str:
    """What aligns blocks: a part by its source file (so a part that moved and changed is still itself), any other
    block by its content."""
    if block.get("t") == "Div" and {"parte", "grupo"} & set(block["c"][0][1]):
        return "parte:" + (dict(block["c"][0][2]).get("fuente") or block["c"][0][0])
    return _key(block)


def _kind(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("t") not in DIFFED_INSIDE:
            return None  # never paired: changed whole
        return (value.get("t"), value["c"][0]) if value.get("t") == "Header" else value.get("t")
    return "item"


def diff_blocks(old: Blocks, new: Blocks, marker: Marker) -> Blocks:
    return diff_sequence(old, new, marker, lambda o, n: diff_pair(o, n, marker), mark_whole, _similar,
                         identity=_identity)


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
            if block["t"] == "Header" and stringify(without_changes(block, DELETION)["c"][2]).strip():
                level = block["c"][0]  # (a heading deleted whole opens no section: its changes stay in the one before)
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
    shifted: set[etree._Element] = set()
    for paragraph in root.iter(f"{W}p"):
        holder = state(paragraph)
        if holder is None:
            continue
        whole[paragraph] = holder
        paragraph = _mark_holder(paragraph, holder, whole, shifted)
        mark(safexml.child(safexml.child(paragraph, f"{W}pPr"), f"{W}rPr", first=False), holder)
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


def _mark_holder(paragraph: Any, holder: Any, whole: dict[Any, Any], shifted: set[Any]) -> Any:
    """Which paragraph mark to mark for a paragraph inserted or deleted whole: its own, unless the paragraph before
    it ends with a change of the same kind. LibreOffice joins such neighbouring changes into one, and rejecting
    (or accepting) that one would then take the mark between them and glue the two paragraphs. Then the run of
    whole paragraphs marks the mark before each one instead (the same text in Word, the paragraphs kept apart in
    LibreOffice)."""
    previous = paragraph.getprevious()
    while previous is not None and previous.tag in (f"{W}bookmarkStart", f"{W}bookmarkEnd"):
        previous = previous.getprevious()
    if previous is None or previous.tag != f"{W}p":
        return paragraph
    if previous in whole:
        shift = previous in shifted and whole[previous].tag == holder.tag
    else:
        last = next((child for child in reversed(previous)
                     if child.tag not in (f"{W}bookmarkStart", f"{W}bookmarkEnd", f"{W}pPr")), None)
        shift = last is not None and last.tag == holder.tag
    if shift:
        shifted.add(paragraph)
        return previous
    return paragraph


def mark_moves(document_xml: bytes) -> bytes:
    """In the change DOCX, a moved block's deletion and insertion (tagged by their author) become Word's
    w:moveFrom and w:moveTo, each within a named range, so Word and LibreOffice show them as one move."""
    from lxml import etree

    from .. import safexml

    root = safexml.fromstring(document_xml)
    pattern = re.compile(re.escape(MOVE_AUTHOR_TAG) + r"(\d+)$")
    counter = iter(range(800_000, 900_000))
    runs: dict[tuple[str, str], list[etree._Element]] = {}  # (move number, From|To) -> its elements, in order
    for element in list(root.iter(f"{W}ins", f"{W}del")):
        found = pattern.search(element.get(f"{W}author", ""))
        if not found:
            continue
        side = "From" if element.tag == f"{W}del" else "To"
        element.tag = f"{W}move{side}"
        element.set(f"{W}author", element.get(f"{W}author")[:found.start()])
        for text in element.iter(f"{W}delText"):
            text.tag = f"{W}t"
        for text in element.iter(f"{W}delInstrText"):
            text.tag = f"{W}instrText"
        if element.getparent().tag != f"{W}rPr":  # a paragraph mark's move needs no range of its own
            runs.setdefault((found.group(1), side), []).append(element)
    for (number, side), elements in runs.items():
        identifier = str(next(counter))
        first, last = elements[0], elements[-1]
        start = etree.Element(f"{W}move{side}RangeStart", {
            f"{W}id": identifier, f"{W}name": f"traslado{number}", f"{W}author": first.get(f"{W}author", ""),
            f"{W}date": first.get(f"{W}date", "")})
        first.addprevious(start)
        last.addnext(etree.Element(f"{W}move{side}RangeEnd", {f"{W}id": identifier}))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
