"""A chunk whose notes strayed is laid out again only from a page on, not from its first page.

Keeping a paragraph whole with its note (notes.py) changes nothing before that paragraph's first page: WeasyPrint
lays out page after page, and `.nota-junta` only breaks the page after the paragraph. So the pages before it are
kept as the last pass laid them out, and the rest of the chunk is cut out of its HTML and laid out alone, from a
page that starts with a block of its own (a paragraph, a heading, a list, a table or a figure, not the rest of
one) directly inside the document's sections. The piece starts as that page started:

- the sections open there are reopened without their ids (as chunks.split does) and without the top margin,
  padding and border a continued box does not draw. The block keeps its top margin: inside sections continued
  from the page before, WeasyPrint keeps it at the top of a page too (a page where a section starts is not cut
  at: there WeasyPrint may drop it);
- the running strings are those in effect at the end of the page before, and the footnote counter is the number
  of the piece's first note less one.

The pages are then written together, as one document, by the last pass's WeasyPrint document. A page for which
any of this cannot be established (a block inside a list, a table or a box; a note still away from its call on
an earlier page) is not cut at: the chunk is laid out whole again, as before.
"""

from __future__ import annotations

import html as htmllib
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .chunks import ID_ATTRIBUTE, NOTE, TAG, _tags, calling_block, css_string, with_class, with_style

# Blocks a piece may start with (a whole one, not the rest of one).
CUT_TAGS = frozenset({"p", "h2", "h3", "h4", "h5", "h6", "figure", "ul", "ol", "dl", "table"})
CONTINUED_CLASS = "imprenta-sigue"
CONTINUED_CSS = f".{CONTINUED_CLASS} {{ margin-top: 0 !important; padding-top: 0 !important; border-top-width: 0 !important; }}"
_SPACE = re.compile(r"\s+")
_MARKUP = re.compile(r"<[^>]*>")


@dataclass
class Cut:
    """Where a chunk is cut: the pages laid out before `page` (1-based) are kept; `html` lays out the rest."""

    page: int
    html: str
    notes: tuple[int, ...]


def boxes(box: Any) -> Iterator[Any]:
    """A laid-out box and every box inside it."""
    yield box
    for child in getattr(box, "children", None) or ():
        yield from boxes(child)


def string_sets(box: Any) -> list[tuple[str, str]]:
    """The running strings a box sets (`string-set`), as WeasyPrint evaluated them; none for a margin box."""
    found = getattr(box, "string_set", None)
    return found if isinstance(found, list) and not type(box).__name__.startswith("Margin") else []


def _root_box(page: Any) -> Any:
    return next((box for box in page._page_box.children if getattr(box, "element_tag", None) == "html"), None)


def _on_page(page: Any, element: Any) -> bool:
    return any(getattr(box, "element", None) is element for box in boxes(page._page_box))


def _opening_block(page: Any, previous: Any) -> Any:
    """The element of the block a page starts with, if it is a whole block of CUT_TAGS inside the document's
    sections, all of them continued from the page before; else None."""
    box, inside_main = _root_box(page), False
    while box is not None:
        children = [c for c in getattr(box, "children", None) or ()
                    if type(c).__name__ == "BlockBox" and c.style["float"] == "none" and c.style["position"] == "static"]
        if not children:
            return None
        box = children[0]
        tag = box.element_tag
        if tag in CUT_TAGS:  # only in the body's <main>: the front matter's chunks have none to reopen
            return None if not inside_main or _on_page(previous, box.element) else box.element
        inside_main = inside_main or tag == "main"
        classes = (box.element.get("class") or "").split() if box.element is not None else []
        if not (tag in ("body", "main", "section") or (tag == "div" and "parte" in classes)):
            return None
        if tag != "body" and not _on_page(previous, box.element):
            return None  # a section that starts here: its block's top margin is dropped, which a piece's is not
    return None


def _strings_before(pages: list[Any]) -> dict[str, str]:
    """The value of each running string after these pages."""
    return {name: text for page in pages for box in boxes(page._page_box) for name, text in string_sets(box)}


def _plain(text: str) -> str:
    return _SPACE.sub("", htmllib.unescape(_MARKUP.sub("", text)))


def _openings(html: str, tag: str, end: int | None = None) -> Iterator[re.Match[str]]:
    """The opening tags of one element name, in order (as the parser meets the elements), up to `end`."""
    return (m for m in TAG.finditer(html, 0, len(html) if end is None else end)
            if not m.group(1) and m.group(2).lower() == tag)


def find_cut(rendered: Any, html: str, kept: list[int], misplaced: dict[int, tuple[int | None, int | None]],
             notes: tuple[int, ...]) -> Cut | None:
    """The latest page at or before the first page of every paragraph just kept (the notes `kept`) where the
    chunk's HTML (with those paragraphs marked) can be cut; None to lay it out whole again."""
    pages = rendered.pages
    root = _root_box(pages[0])
    if root is None or any(call is None for call, _ in misplaced.values()):
        return None
    # No note may be carried over a cut: every note still away from its call is called at or after it.
    last = min(call for call, _ in misplaced.values() if call is not None) if misplaced else len(pages)
    for note in kept:
        block = calling_block(html, note)
        if block is None:
            return None
        tag = block.group(2).lower()
        index = sum(1 for _ in _openings(html, tag, block.start()))
        element = next(itertools.islice(root.element.iter(tag), index, None), None)
        if element is None or note not in misplaced:
            return None
        calling_page = misplaced[note][0] or 0
        first = next((n for n, page in enumerate(pages[:calling_page], start=1) if _on_page(page, element)), None)
        if first is None:
            return None
        last = min(last, first)
    for page in range(last, 1, -1):
        if (element := _opening_block(pages[page - 1], pages[page - 2])) is None:
            continue
        index = next(i for i, e in enumerate(root.element.iter(element.tag)) if e is element)
        opening = next(itertools.islice(_openings(html, element.tag), index, None), None)
        if opening is None or not _plain(html[opening.end() : opening.end() + 2000]).startswith(
                _plain("".join(element.itertext()))[:40]):
            return None  # the tag found in the text is not this element: no cut rather than a wrong one
        found = NOTE.search(html, opening.start())
        first_note = int(found.group(1)) if found else None  # the piece's first note, if it calls any
        return Cut(page, _piece(html, opening, _strings_before(pages[: page - 1]), first_note),
                   tuple(n for n in notes if first_note is not None and n >= first_note))
    return None


def _piece(html: str, opening: re.Match[str], strings: dict[str, str], first_note: int | None) -> str:
    """The chunk's HTML from the block `opening` on, reopening the sections open there (see the module)."""
    open_tags: list[re.Match[str]] = []
    for _, _, open_tags in _tags(html, opening.start()):  # noqa: B007 - after the last tag: what is open
        pass
    inside = next(i for i, m in enumerate(open_tags) if m.group(2).lower() == "main") + 1
    main_end = open_tags[inside - 1].end()
    reopened = "".join(with_class(ID_ATTRIBUTE.sub("", m.group(0)), CONTINUED_CLASS) for m in open_tags[inside:])
    style = f"body {{ counter-reset: footnote {(first_note or 1) - 1};"
    if strings:
        style += " string-set: " + ", ".join(f"{n} {css_string(t)}" for n, t in strings.items()) + ";"
    style += " }\n" + CONTINUED_CSS
    return with_style(html[:main_end] + reopened + html[opening.start() :], style)
