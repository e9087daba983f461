"""Small helpers over pandoc's JSON AST: parsing, walking, building and stringifying elements."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .cache import Cache
from .errors import ImprentaError
from .tools import pandoc_path, run_pandoc

# pandoc's own Markdown, with ASCII heading identifiers so that "Misión" gets the anchor "mision", and
# lists allowed right after a paragraph: writers (and the seed plan) often omit the blank line before "* item".
# Emoji shortcodes (`:star:`, as MkDocs and GitHub write them) become the characters themselves.
MARKDOWN_FORMAT = "markdown+ascii_identifiers+lists_without_preceding_blankline+emoji"

# Cache namespace of parsed Markdown, keyed by the text, the reader's extensions and the pandoc binary.
NAMESPACE = "pandoc-json"

Element = dict[str, Any]
Blocks = list[Element]


def parse_markdown(text: str, what: str, cache: Path | None = None, reader: str = MARKDOWN_FORMAT) -> dict[str, Any]:
    """Parse Markdown (or, with reader="html", an HTML fragment) once into pandoc's JSON AST; with a cache folder,
    a text parsed before is not parsed again."""
    store, key = None, ""
    if cache is not None:
        binary = Path(pandoc_path()).stat()
        store = Cache(cache)
        key = Cache.key(reader, str(binary.st_size), str(binary.st_mtime_ns), text)
        if (found := store.lookup(NAMESPACE, key, ".json")) is not None:
            try:
                return json.loads(found.read_bytes())
            except ValueError:
                pass  # an entry cut short: parse again
    result = run_pandoc(["--sandbox", "--from", reader, "--to", "json"],
                        input_bytes=text.encode("utf-8"), what=f"pandoc (leyendo {what})")
    try:
        ast = json.loads(result.stdout)
    except RecursionError:  # source/limits.py bounds nesting far below this: a last guard, not the usual way
        raise ImprentaError(f"{what}: el texto anida demasiados niveles para leerlo",
                            "aplane las citas, listas o corchetes anidados") from None
    if store is not None:
        store.store_bytes(NAMESPACE, key, ".json", result.stdout)
    return ast


def walk(value: Any, visit: Callable[[Element], None]) -> None:
    """Call visit on every element (a dict with a "t" key), parents before children, in document order."""
    if isinstance(value, dict):
        if "t" in value:
            visit(value)
        for child in value.values():
            if isinstance(child, (dict, list)):  # text and numbers hold no elements: not a call per word
                walk(child, visit)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)):
                walk(child, visit)


def stringify(value: Any) -> str:
    """The plain text of an element or list of elements, as pandoc's stringify gives it (notes left out)."""
    out: list[str] = []

    def collect(v: Any) -> None:
        if isinstance(v, list):
            for child in v:
                collect(child)
            return
        if not isinstance(v, dict):
            return
        t = v.get("t")
        if t == "Note":
            return
        if t == "Str":
            out.append(v["c"])
        elif t in ("Space", "SoftBreak", "LineBreak"):
            out.append(" ")
        elif t in ("Code", "Math"):
            out.append(v["c"][1])
        else:
            collect(v.get("c"))

    collect(value)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def text_inlines(text: str) -> list[Element]:
    """Inline elements for a plain string."""
    inlines: list[Element] = []
    for i, word in enumerate(text.split(" ")):
        if i:
            inlines.append({"t": "Space"})
        if word:
            inlines.append({"t": "Str", "c": word})
    return inlines


def meta_string(text: str) -> Element:
    """A metadata value holding plain text."""
    return {"t": "MetaString", "c": text}


def expand(value: Any, replace: Callable[[Element], list[Any] | None]) -> Any:
    """A copy of value in which every element that replace gives a list for stands, in its list, for that list's
    items (replace rebuilds them itself: calling expand on what it keeps); the others are copied with their
    children rebuilt the same way, at any depth."""
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            found = replace(item) if isinstance(item, dict) and "t" in item else None
            if found is None:
                out.append(expand(item, replace))
            else:
                out.extend(found)
        return out
    if isinstance(value, dict):
        return {key: expand(child, replace) for key, child in value.items()}
    return value


def dumps(ast: dict[str, Any]) -> bytes:
    """Serialise an AST for pandoc's JSON reader."""
    return json.dumps(ast, ensure_ascii=False).encode("utf-8")
