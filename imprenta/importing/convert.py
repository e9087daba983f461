"""A prepared DOCX read by pandoc and cut into Imprenta sources: a master with its list of parts, one part per
top-level heading, images under readable names, links between parts, captions without their old numbers."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..pandocast import Element, dumps, expand, stringify, walk
from ..source.anchors import slug
from ..tools import run_pandoc

# "Figura 3: ", "Tabla 2.", "Ilustración 12 - ": the old number of a caption (Imprenta numbers its own).
CAPTION_NUMBER = re.compile(r"^\s*(?:figura|fig\.|ilustración|ilustracion|imagen|gráfico|grafico|tabla|cuadro|"
                            r"figure|table|illustration)\s*[\dIVXLC]+(?:[.\-]\d+)*\s*[.:\-–—]?\s*", re.IGNORECASE)
# What follows a picture in its own paragraph when the caption was typed beside it (a LibreOffice frame): "Figura 5.3:
# Diagrama", "5.1: Diagrama".
CAPTION_BESIDE = re.compile(r"^\s*(?:(?:figura|fig\.|ilustración|ilustracion|imagen|gráfico|grafico|figure|illustration)"
                            r"\s*)?\d+(?:[.\-]\d+)*\s*[.:\-–—]\s*\S", re.IGNORECASE)
MARKDOWN_OUT = ("markdown+ascii_identifiers-smart-raw_attribute-bracketed_spans-native_spans-native_divs"
                "-simple_tables-multiline_tables")  # pipe tables when simple, grid tables otherwise


@dataclass
class Comment:
    """A comment of the original: who, when, what it says, the passage it marks (and where it landed)."""

    author: str
    date: str
    text: str
    passage: str
    context: str
    landed: str = ""


@dataclass
class Part:
    """One file of the new project: its path relative to fuente/, its title and its blocks."""

    path: str
    title: str
    blocks: list[Element]


@dataclass
class Converted:
    """What the conversion produced: the parts (the master first), images to copy, comments, and notes."""

    title: str
    master: Part
    parts: list[Part]
    images: dict[str, Path] = field(default_factory=dict)  # new name in imagenes/ -> extracted file
    comments: list[Comment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was changed by design, said in the report


def read_docx(docx: bytes, media: Path, changes: str) -> dict[str, Any]:
    """pandoc's AST of a prepared DOCX, tracked changes accepted or rejected (or kept, with "all", for comments)."""
    args = ["--from", "docx", f"--track-changes={changes}", "--to", "json", "--extract-media", str(media)]
    return json.loads(run_pandoc(args, input_bytes=docx, what="pandoc (lectura del DOCX)").stdout)


def comments_of(ast: dict[str, Any]) -> list[Comment]:
    """Every comment of an AST read with --track-changes=all, with the text it marks and its paragraph."""
    found: list[Comment] = []

    def paragraph(el: Element) -> None:
        if el["t"] not in ("Para", "Plain", "Header"):
            return
        inlines = el["c"][2] if el["t"] == "Header" else el["c"]
        open_: dict[str, tuple[Comment, list[Element]]] = {}
        for inline in _flatten(inlines):
            if inline["t"] == "Span" and "comment-start" in inline["c"][0][1]:
                attrs = dict(inline["c"][0][2])
                comment = Comment(attrs.get("author", ""), attrs.get("date", ""), stringify(inline["c"][1]), "",
                                  stringify(_without_comments(inlines)))
                open_[inline["c"][0][0]] = (comment, [])
                found.append(comment)
            elif inline["t"] == "Span" and "comment-end" in inline["c"][0][1]:
                ended = open_.pop(inline["c"][0][0], None)
                if ended:
                    ended[0].passage = stringify(ended[1]).strip()
            else:
                for _, collected in open_.values():
                    collected.append(inline)
        for comment, collected in open_.values():  # a comment that spans paragraphs: its first one
            comment.passage = stringify(collected).strip()

    walk(ast["blocks"], paragraph)
    return found


def _flatten(inlines: list[Element]) -> list[Element]:
    out: list[Element] = []
    for inline in inlines:
        if inline["t"] == "Span" and {"comment-start", "comment-end"} & set(inline["c"][0][1]):
            out.append(inline)
        elif inline["t"] in ("Span", "Emph", "Strong", "Underline", "Link"):
            content = inline["c"][1] if inline["t"] in ("Span", "Link") else inline["c"]
            out.extend(_flatten(content))
        else:
            out.append(inline)
    return out


def _without_comments(inlines: list[Element]) -> list[Element]:
    return [i for i in inlines if not (i["t"] == "Span" and {"comment-start", "comment-end"} & set(i["c"][0][1]))]


def split(ast: dict[str, Any], fallback_title: str, master_name: str) -> Converted:
    """Cut the document into the master and its parts, one per top-level heading, levels shifted to start at #."""
    blocks = _clean(ast["blocks"])
    meta = ast.get("meta", {})
    title = next((stringify(meta[key]["c"]).strip() for key in ("title", "subtitle") if meta.get(key)), "")
    title = title or fallback_title
    levels = [b["c"][0] for b in blocks if b["t"] == "Header"]
    top = min(levels) if levels else 1
    intro: list[Element] = []
    parts: list[Part] = []
    for block in blocks:
        if block["t"] == "Header":
            block["c"][0] = max(1, block["c"][0] - top + 1)
            if block["c"][0] == 1:
                name = slug(stringify(block["c"][2]))[:48].strip("-") or "parte"
                parts.append(Part(f"partes/{len(parts) + 1:02d}-{name}.md", stringify(block["c"][2]), []))
        (parts[-1].blocks if parts else intro).append(block)
    master = Part(f"{master_name}.md", title, intro)
    converted = Converted(title, master, parts)
    _link_across_parts(converted)
    return converted


def _clean(blocks: list[Element]) -> list[Element]:
    """Empty paragraphs and headings dropped, captions without their old numbers, a picture with its caption typed
    beside it made a figure."""

    def caption(el: Element) -> None:
        if el["t"] in ("Figure", "Table"):
            for block in el["c"][1][1]:
                if block["t"] in ("Plain", "Para"):
                    _strip_number(block["c"])

    out: list[Element] = []
    for block in blocks:
        if block["t"] in ("Para", "Plain", "Header"):
            inlines = block["c"][2] if block["t"] == "Header" else block["c"]
            if not stringify(inlines).strip() and not any(i["t"] == "Image" for i in inlines):
                continue
        out.append(_figure_beside(block) if block["t"] in ("Para", "Plain") else block)
    walk(out, caption)
    return out


def _figure_beside(block: Element) -> Element:
    inlines = block["c"]
    if not inlines or inlines[0]["t"] != "Image":
        return block
    rest = inlines[1:]
    while rest and rest[0]["t"] in ("LineBreak", "SoftBreak", "Space"):
        rest = rest[1:]
    text = stringify(rest)
    if not rest or len(text) > 300 or not CAPTION_BESIDE.match(text):
        return block
    found = CAPTION_NUMBER.match(text) or re.match(r"^\s*\d+(?:[.\-]\d+)*\s*[.:\-–—]\s*", text)
    caption = list(rest)
    if found:
        _strip_number(caption, len(found.group(0)))
    return {"t": "Figure", "c": [["", [], []], [None, [{"t": "Plain", "c": caption}]],
                                 [{"t": "Plain", "c": [inlines[0]]}]]}


def _strip_number(inlines: list[Element], length: int | None = None) -> None:
    if length is None:
        found = CAPTION_NUMBER.match(stringify(inlines))
        if not found:
            return
        length = len(found.group(0))
    remaining = length
    while inlines and remaining > 0:  # drop whole leading Str/Space pieces that make up the old label
        first = inlines[0]
        piece = first["c"] if first["t"] == "Str" else " " if first["t"] in ("Space", "SoftBreak") else stringify(first)
        if len(piece) <= remaining:
            inlines.pop(0)
            remaining -= len(piece)
        else:
            if first["t"] == "Str":
                first["c"] = first["c"][remaining:]
            remaining = 0
    while inlines and inlines[0]["t"] in ("Space", "SoftBreak"):
        inlines.pop(0)


def _link_across_parts(converted: Converted) -> None:
    """Headings get Imprenta's identifiers; bookmarks (pandoc's anchor spans) resolve to the heading, figure or table
    they mark; internal links then point to that file and anchor, and anchor spans go."""
    files = [converted.master, *converted.parts]
    target: dict[str, tuple[int, str]] = {}  # old id -> (file index, new local id)
    for index, part in enumerate(files):
        used: dict[str, int] = {}
        current = ""

        def visit(el: Element, index: int = index, used: dict[str, int] = used) -> None:
            nonlocal current
            if el["t"] == "Header":
                base = slug(stringify(el["c"][2])) or "seccion"
                n = used.get(base, 0)
                used[base] = n + 1
                new = base if n == 0 else f"{base}-{n}"
                if el["c"][1][0]:
                    target[el["c"][1][0]] = (index, new)
                el["c"][1][0] = new
                current = new
                walk(el["c"][2], lambda s: target.setdefault(s["c"][0][0], (index, new)) if s["t"] == "Span" and s["c"][0][0] else None)
            elif el["t"] == "Span" and el["c"][0][0] and "anchor" in el["c"][0][1]:
                target.setdefault(el["c"][0][0], (index, current))

        for block in part.blocks:
            walk([block], visit)

    for index, part in enumerate(files):
        def relink(el: Element, index: int = index) -> None:
            if el["t"] != "Link" or not el["c"][2][0].startswith("#"):
                return
            found = target.get(el["c"][2][0][1:])
            if found is None:
                return
            where, anchor = found
            if where == index:
                el["c"][2][0] = f"#{anchor}" if anchor else "#"
            else:
                path = files[where].path
                if index != 0:  # from a part: another part beside it, or the master one folder up
                    path = Path(path).name if where != 0 else f"../{path}"
                el["c"][2][0] = f"{path}#{anchor}" if anchor else path

        walk(part.blocks, relink)
        part.blocks = _without_anchor_spans(part.blocks)


def _without_anchor_spans(value: Any) -> Any:
    def replace(el: Element) -> list[Any] | None:
        classes = set(el["c"][0][1]) if el["t"] == "Span" else set()
        # A bookmark left as a span, a highlight ("mark"): only its text stays; tracked changes keep their spans.
        if el["t"] == "Span" and ("anchor" in classes or not {"insertion", "deletion"} & classes):
            return _without_anchor_spans(el["c"][1])
        return None

    return expand(value, replace)


def place_images(converted: Converted, media: Path) -> None:
    """Every image under imagenes/ with a readable name (part number, caption or part title, a counter); EMF and
    WMF kept as they are (Imprenta converts them when it builds)."""
    taken: set[str] = set()
    for index, part in enumerate([converted.master, *converted.parts]):
        prefix = Path(part.path).stem.split("-")[0] if index else "00"

        def rename(el: Element, part: Part = part, prefix: str = prefix) -> None:
            if el["t"] == "Figure":
                label = stringify(el["c"][1][1])
                walk(el["c"][2], lambda img: _rename(img, label, part, prefix, media, converted, taken)
                     if img["t"] == "Image" else None)

        walk(part.blocks, rename)
        walk(part.blocks, lambda img, part=part, prefix=prefix: _rename(img, "", part, prefix, media, converted, taken)
             if img["t"] == "Image" else None)


def _rename(image: Element, label: str, part: Part, prefix: str, media: Path, converted: Converted,
            taken: set[str]) -> None:
    url = image["c"][2][0]
    if url.startswith(("../", "http:", "https:")) or not url:
        return  # already placed (a figure's image), or not a file of the document
    source = Path(url)
    if not source.is_file():
        return
    words = slug(label or stringify(image["c"][1]) or part.title or "imagen")[:40].strip("-") or "imagen"
    extension = source.suffix.lower()
    name, n = f"{prefix}-{words}{extension}", 1
    while name in taken:
        n += 1
        name = f"{prefix}-{words}-{n}{extension}"
    taken.add(name)
    converted.images[name] = source
    image["c"][2][0] = f"../../imagenes/{name}" if part.path.startswith("partes/") else f"../imagenes/{name}"
    # Sizes in inches from Word are kept as a width only: the page decides the rest.
    image["c"][0][2] = [kv for kv in image["c"][0][2] if kv[0] == "width"]


EMOJI_LIKE = re.compile(r":(?=[a-z0-9_+-]+:)")


def _no_emoji(value: Any) -> Any:
    """Text that Imprenta's reader would take for an emoji code ("urn:es:gob" holds ":es:", the flag of Spain) gets
    its colon escaped: the Markdown says "\\:" and the document shows ":" as the original did."""

    def replace(el: Element) -> list[Any] | None:
        if el["t"] != "Str" or not EMOJI_LIKE.search(el["c"]):
            return None
        out: list[Any] = []
        for n, piece in enumerate(EMOJI_LIKE.split(el["c"])):
            if n:
                out.append({"t": "RawInline", "c": ["markdown", "\\:"]})
            if piece:
                out.append({"t": "Str", "c": piece})
        return out

    return expand(value, replace)


def markdown(blocks: list[Element], api_version: list[int]) -> str:
    """Blocks written as Markdown that Imprenta reads back the same: one line per paragraph, pipe tables when simple,
    grid tables when cells are merged or hold lists."""
    ast = {"pandoc-api-version": api_version, "meta": {}, "blocks": _no_emoji(blocks)}
    result = run_pandoc(["--from", "json", "--to", MARKDOWN_OUT, "--wrap=none", "--columns=120"],
                        input_bytes=dumps(ast), what="pandoc (escritura de Markdown)")
    return result.stdout.decode("utf-8")


def write(converted: Converted, api_version: list[int], dest: Path) -> dict[str, Path]:
    """Write fuente/<name>.md, fuente/partes/*.md and imagenes/ into dest; return the files written by role."""
    fuente = dest / "fuente"
    (fuente / "partes").mkdir(parents=True, exist_ok=True)
    (dest / "imagenes").mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for part in converted.parts:
        target = fuente / part.path
        target.write_text(markdown(part.blocks, api_version), encoding="utf-8")
        written[part.path] = target
    listing = "\n".join(f"* [{_escape(p.title)}]({p.path})" for p in converted.parts)
    intro = markdown(converted.master.blocks, api_version).strip()
    master = f"# {_escape(converted.title)}\n\n" + (f"{intro}\n\n" if intro else "") + listing + "\n"
    (fuente / converted.master.path).write_text(master, encoding="utf-8")
    written[converted.master.path] = fuente / converted.master.path
    for name, source in converted.images.items():
        shutil.copyfile(source, dest / "imagenes" / name)
    return written


def _escape(text: str) -> str:
    return re.sub(r"([\[\]*_`\\])", r"\\\1", " ".join(text.split()))
