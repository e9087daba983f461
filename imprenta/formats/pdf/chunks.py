"""The PDF's HTML cut where the template forces a page break, so that parts lay out apart: before each H1 of
the body, and in the front matter before each element the template marks with `data-trozo` (the contents).

Pandoc's HTML is well formed (every element closed, attributes escaped, no raw HTML: the assembler refuses
it), so a tag scanner is enough and keeps every byte of the text as pandoc wrote it. A cut closes the
elements still open and the next chunk reopens them without their ids, so each anchor stays in one chunk.

Layout then depends on each chunk's own text only, except for page numbers, which the chunks carry as
literal values (`data-pagina` on each internal link) filled in from the other chunks' layouts.
"""

from __future__ import annotations

import html as htmllib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .notes import KEEP_CLASS

TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"})
ID_ATTRIBUTE = re.compile(r"\s+id=\"[^\"]*\"")
HREF = re.compile(r"(<a\b[^>]*?\bhref=\")#([^\"]+)(\"[^>]*>)")
NOTE = re.compile(r"<span id=\"nota-(\d+)\"")
# Scheme of internal links inside a chunk: WeasyPrint drops links to anchors it cannot see, so every internal
# link leaves a chunk as a URI, and the merge turns it back into a destination of the whole document.
ANCHOR_SCHEME = "imprenta-ancla:"
# Blocks a paragraph-like note call can be kept whole in (see notes.KEEP_CLASS).
KEEPABLE = frozenset({"p", "li", "dd"})
UNKNOWN_PAGE = "?"


@dataclass
class Chunk:
    """One piece of the document, laid out on its own: the front matter (index 0) or a run of body parts."""

    index: int
    html: str  # a complete HTML document; internal links carry `{{pagina:anchor}}` placeholders
    targets: tuple[str, ...]  # anchors whose page numbers this chunk prints
    notes: tuple[int, ...]  # footnote numbers inside, in order

    def with_pages(self, pages: dict[str, int]) -> str:
        """The chunk's HTML with every internal link's page number filled in (`?` while unknown)."""
        return _PLACEHOLDER.sub(lambda m: str(pages.get(htmllib.unescape(m.group(1)), UNKNOWN_PAGE)), self.html)


_PLACEHOLDER = re.compile(r"\{\{pagina:([^}]*)\}\}")


def _links_to_placeholders(text: str) -> tuple[str, tuple[str, ...]]:
    targets: list[str] = []

    def replace(m: re.Match[str]) -> str:
        target = m.group(2)
        targets.append(htmllib.unescape(target))
        return f'{m.group(1)}{ANCHOR_SCHEME}{target}" data-pagina="{{{{pagina:{target}}}}}{m.group(3)}'

    return HREF.sub(replace, text), tuple(dict.fromkeys(targets))


def _tags(text: str, end: int | None = None) -> Iterator[tuple[re.Match[str], str, list[re.Match[str]]]]:
    """Each tag up to `end`, its kind ("open", "close" or "void") and the elements open before it, innermost
    last. The list is the scanner's own: after the last tag it holds what is still open."""
    stack: list[re.Match[str]] = []
    for m in TAG.finditer(text, 0, len(text) if end is None else end):
        closing, tag, attributes = m.group(1), m.group(2).lower(), m.group(3)
        if closing:
            yield m, "close", stack
            while stack and stack[-1].group(2).lower() != tag:
                stack.pop()
            if stack:
                stack.pop()
        elif tag in VOID or attributes.rstrip().endswith("/"):
            yield m, "void", stack
        else:
            yield m, "open", stack
            stack.append(m)


def _body_cuts(body: str) -> list[tuple[int, list[str]]]:
    """Positions where a body chunk starts (before each H1's run of opening tags) and the tags open there."""
    cuts: list[tuple[int, list[str]]] = []
    run_start: tuple[int, int] | None = None  # (position, stack depth) of the run of opening tags before here
    last_end = 0
    content = False  # anything but opening tags and blank text seen since the chunk started
    for m, kind, stack in _tags(body):
        if body[last_end : m.start()].strip() or kind != "open":
            content, run_start = True, None
        if kind == "open":
            if run_start is None:
                run_start = (m.start(), len(stack))
            if m.group(2).lower() == "h1" and content and all(t.group(2).lower() in ("section", "div") for t in stack):
                position, depth = run_start
                cuts.append((position, [t.group(0) for t in stack[:depth]]))
                content = False
        last_end = m.end()
    return cuts


def split(document: str) -> list[Chunk]:
    """The front matter, cut before each element marked `data-trozo` (the contents), then the body cut before
    every H1 that follows content. The first chunk (the cover) sets the running strings the others start from."""
    start = document.index("<main>")
    end = document.rindex("</main>")
    body_at = document.index("<body")
    head = document[:body_at]
    body_tag = TAG.match(document, body_at).group(0)  # type: ignore[union-attr]
    opening = f"{head}{body_tag}\n"
    tail = document[end + len("</main>") :]
    body = document[start + len("<main>") : end]

    front = document[body_at + len(body_tag) : start]
    marks = [m.start() for m in TAG.finditer(front) if not m.group(1) and re.search(r"\sdata-trozo\b", m.group(3))]
    bounds = [0, *marks, len(front)]
    # The front matter's pieces carry no empty <main>: its box would open one more page after the last break.
    texts = [opening + front[a:b] + tail for a, b in zip(bounds, bounds[1:]) if front[a:b].strip()]

    previous, reopened = 0, ""
    for position, open_tags in _body_cuts(body):
        closing = "".join(f"</{TAG.match(t).group(2)}>" for t in reversed(open_tags))  # type: ignore[union-attr]
        texts.append(f"{opening}<main>{reopened}{body[previous:position]}{closing}</main>{tail}")
        previous, reopened = position, "".join(ID_ATTRIBUTE.sub("", t) for t in open_tags)
    texts.append(f"{opening}<main>{reopened}{body[previous:]}</main>{tail}")

    chunks = []
    for index, text in enumerate(texts):
        text, targets = _links_to_placeholders(text)
        notes = tuple(int(n) for n in NOTE.findall(text))
        chunks.append(Chunk(index, text, targets, notes))
    return chunks


def with_style(text: str, css: str) -> str:
    """A chunk with a style sheet of its own, after the template's (so it wins at equal specificity)."""
    at = text.index("</head>")
    return f"{text[:at]}<style>{css}</style>\n{text[at:]}"


def calling_block(text: str, note: int) -> re.Match[str] | None:
    """The opening tag of the paragraph or list item that calls a note (the innermost), or None."""
    call = text.find(f'<span id="nota-{note}"')
    if call < 0:
        return None
    stack: list[re.Match[str]] = []
    for _, _, stack in _tags(text, call):  # noqa: B007 - after the last tag, stack holds what is open
        pass
    return next((m for m in reversed(stack) if m.group(2).lower() in KEEPABLE), None)


def with_class(tag: str, name: str) -> str:
    """An opening tag with one more class."""
    if 'class="' in tag:
        return tag.replace('class="', f'class="{name} ', 1)
    element = TAG.match(tag).group(2)  # type: ignore[union-attr]
    return f'<{element} class="{name}"{tag[len(element) + 1:]}'


def keep_whole(text: str, note: int) -> str | None:
    """Mark the paragraph or list item that calls a note to be kept whole; None if the call is elsewhere."""
    if (block := calling_block(text, note)) is None:
        return None
    return text[: block.start()] + with_class(block.group(0), KEEP_CLASS) + text[block.end() :]


def css_string(value: str) -> str:
    """A Python string as a CSS string literal."""
    return '"' + "".join(c if c.isalnum() or c in " .,;:-_()«»¿?¡!" else f"\\{ord(c):x} " for c in value) + '"'
