"""The data that flows through the pipeline: sources, headings, images and the assembled Document."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .cache import file_digest
from .errors import Location
from .pandocast import Blocks, Element, walk
from .source.anchors import unfenced
from .source.metadata import Metadata

IMAGE_PLACEHOLDER = "imprenta-imagen:"

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
# Lines that cannot be the text of a setext heading: list items, quotes, tables.
_PARAGRAPH_NOT_HEADING = re.compile(r"^\s*([-*+>|]|\d+[.)])(\s|$)")


@dataclass
class SourceFile:
    """A Markdown file as read from disk (BOM removed, line endings normalised).

    A master made from an MkDocs config is Markdown written by Imprenta: line_map then gives, for each of its
    lines, the line of the config that it comes from, so that problems point at the file the team wrote.
    """

    path: Path
    text: str
    line_map: list[int] | None = None

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def find_line(self, needle: str, occurrence: int = 0) -> int | None:
        """The 1-based line of the n-th occurrence of needle, or None."""
        start = 0
        for _ in range(occurrence + 1):
            index = self.text.find(needle, start)
            if index < 0:
                return None
            start = index + 1
        return self.text.count("\n", 0, index) + 1

    def heading_lines(self) -> list[int]:
        """Lines of ATX and setext headings, in order, skipping fenced code (pandoc wants a blank line before)."""
        found: list[int] = []
        lines = self.lines
        for number, line in unfenced(lines):
            blank_before = number == 1 or not lines[number - 2].strip()
            if _ATX.match(line) and blank_before or (
                blank_before
                and number < len(lines)
                and line.strip()
                and _SETEXT.match(lines[number])
                and not _PARAGRAPH_NOT_HEADING.match(line)
            ):
                found.append(number)
        return found

    def find_reference(self, url: str, occurrence: int = 0) -> int | None:
        """The line where a link or image names url: exact `](url)` first, then looser forms."""
        for needle in (f"]({url})", f"]({url} ", f"](<{url}>)", f"]({url}"):
            line = self.find_line(needle, occurrence)
            if line:
                return line
        return self.find_line(url, occurrence) or self.find_line(url)

    def location(self, line: int | None) -> Location:
        line = line or 1
        if self.line_map is not None:
            line = self.line_map[min(line, len(self.line_map)) - 1]
        return Location(self.path, line)


@dataclass
class Heading:
    """A heading of the assembled document, with its global anchor and where it was written."""

    anchor: str
    level: int
    text: str
    location: Location


@dataclass
class ImageRef:
    """An image named by a source, resolved to a file; formats pick their own variant of it."""

    index: int
    path: Path
    location: Location
    alt: str
    variants: dict[str, ImageVariant] = field(default_factory=dict)


@dataclass
class ImageVariant:
    """The file a given output format uses for an image, and its printed size when known."""

    path: Path
    width_cm: float | None = None
    height_cm: float | None = None


IMAGE_URL_SCHEME = "imprenta:"


def content_name(path: Path) -> str:
    """A file name made from the file's content: the same image always gets the same name."""
    return f"{file_digest(path)[:24]}{path.suffix.lower()}"


def image_url(path: Path) -> str:
    """A URL naming an image file by its content (the PDF format's fetcher serves it)."""
    return f"{IMAGE_URL_SCHEME}{content_name(path)}"


@dataclass
class Float:
    """A numbered figure or table: what the lists of figures and tables and the cross-references show."""

    kind: str  # "figura" or "tabla"
    number: int
    anchor: str
    caption: str

    @property
    def title(self) -> str:
        """The entry in a list of figures or tables: "Figura 3. Caption" (or "Figura 3" without caption)."""
        label = f"{self.kind.capitalize()}\u00a0{self.number}"
        return f"{label}. {self.caption}" if self.caption else label


@dataclass
class Document:
    """One parsed document: the AST shared by every output, its sources, headings and images."""

    meta: Metadata
    master: SourceFile
    sources: list[SourceFile]
    blocks: Blocks
    headings: list[Heading]
    images: list[ImageRef]
    api_version: list[int]
    floats: list[Float] = field(default_factory=list)
    listed: set[Path] = field(default_factory=set)  # every file the document names: parts and snippets
    content_dir: Path | None = None  # where its Markdown lives: the master's folder, or an MkDocs docs_dir

    @property
    def name(self) -> str:
        """Outputs are named after the master file."""
        return self.master.path.stem

    def ast_for(self, output: str) -> dict[str, Any]:
        """A copy of the AST with each image pointing at the variant made for this output."""
        blocks = json.loads(json.dumps(self.blocks))  # a deep copy, several times faster than copy.deepcopy
        walk(blocks, lambda el: self.point_image(el, output))
        return {"pandoc-api-version": self.api_version, "meta": self.meta.to_pandoc(), "blocks": blocks}

    def point_image(self, el: Element, output: str) -> None:
        """An image element (of a copy) pointed at the variant made for this output, with its size."""
        if el["t"] != "Image" or not el["c"][2][0].startswith(IMAGE_PLACEHOLDER):
            return
        target = el["c"][2]
        variant = self.images[int(target[0][len(IMAGE_PLACEHOLDER):])].variants[output]
        # Images are named by content, not by their path in the cache or the project: the same sources then give
        # the same bytes wherever they are built (pandoc writes the name into the DOCX).
        target[0] = image_url(variant.path) if output == "pdf" else content_name(variant.path)
        attrs = el["c"][0]
        if variant.width_cm and not any(k in ("width", "height") for k, _ in attrs[2]):
            attrs[2].append(["width", f"{variant.width_cm:.2f}cm"])
            if variant.height_cm:
                attrs[2].append(["height", f"{variant.height_cm:.2f}cm"])
