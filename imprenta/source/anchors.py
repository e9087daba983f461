"""Markdown facts every reader of sources shares: anchors (one slug), URL schemes, fenced code."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from urllib.parse import unquote

# "https:", "mailto:", "C:" ...: a target with a scheme is not a file of the project.
URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# The opening or closing line of a fenced code block (``` or ~~~, up to three spaces of indentation).
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def without_accents(text: str) -> str:
    """The text with its combining marks removed: "Misión" -> "Mision"."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def slug(text: str) -> str:
    """pandoc's automatic identifier for a heading (ascii_identifiers): "Misión y visión" -> "mision-y-vision"."""
    text = re.sub(r"[^\w\s.-]", "", without_accents(text).lower())
    return re.sub(r"\s+", "-", text.strip()).lstrip("0123456789.-_")


def normalize_anchor(anchor: str) -> str:
    """Compare anchors without accents or case, so "#misión" and "#Mision" both find "mision"."""
    return without_accents(unquote(anchor)).lower().strip()


def unfenced(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(1-based number, line) of every line outside fenced code; the fence lines themselves are left out."""
    fence: str | None = None
    for number, line in enumerate(lines, start=1):
        match = FENCE.match(line)
        if match:
            marker = match.group(1)[0]
            if fence is None:
                fence = marker
            elif fence == marker:
                fence = None
            continue
        if fence is None:
            yield number, line
