"""Figures and tables numbered across the whole document; cross-references filled with their numbers."""

from __future__ import annotations

from ..document import Document, Float
from ..pandocast import Element, stringify, walk

LABELS = {"Figure": "Figura", "Table": "Tabla"}


def _label(kind: str, number: int) -> list[Element]:
    """`Figura 3` as inlines, the number in its own span so that a format can turn it into a field."""
    return [
        {"t": "Str", "c": f"{LABELS[kind]}\u00a0"},
        {"t": "Span", "c": [["", ["numero"], []], [{"t": "Str", "c": str(number)}]]},
    ]


def _prefix_caption(caption: list, kind: str, number: int) -> None:
    """Put "Figura 3." before the caption text (or make it the whole caption when there is none)."""
    rotulo = {"t": "Span", "c": [["", ["rotulo"], []], _label(kind, number)]}
    blocks = caption[1]
    if blocks and blocks[0]["t"] in ("Plain", "Para"):
        blocks[0]["c"][:0] = [rotulo, {"t": "Str", "c": "."}, {"t": "Space"}]
    else:
        blocks.insert(0, {"t": "Plain", "c": [rotulo]})


def number_floats(doc: Document) -> Document:
    """Number figures and tables in document order, give each an anchor, and fill empty cross-reference links."""
    counters = {"Figure": 0, "Table": 0}
    targets: dict[str, tuple[str, int]] = {}
    used = {h.anchor for h in doc.headings}

    def visit(el: Element) -> None:
        if el["t"] not in LABELS:
            return
        kind = el["t"]
        counters[kind] += 1
        number = counters[kind]
        attr, caption = el["c"][0], el["c"][1]
        text = stringify(caption[1])
        if not attr[0]:
            attr[0] = f"{LABELS[kind].lower()}-{number}"
            while attr[0] in used:
                attr[0] += "-x"
        used.add(attr[0])
        _prefix_caption(caption, kind, number)
        doc.floats.append(Float(kind=LABELS[kind].lower(), number=number, anchor=attr[0], caption=text))
        targets[attr[0]] = (kind, number)

    walk(doc.blocks, visit)
    headings = {h.anchor: h.text for h in doc.headings}

    def fill(el: Element) -> None:
        if el["t"] != "Link" or "ref" not in el["c"][0][1] or el["c"][1]:
            return
        anchor = el["c"][2][0].lstrip("#")
        if anchor in targets:
            el["c"][1] = _label(*targets[anchor])
        elif anchor in headings:
            el["c"][1] = [{"t": "Str", "c": f"«{headings[anchor]}»"}]

    walk(doc.blocks, fill)
    return doc
