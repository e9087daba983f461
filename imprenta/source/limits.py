"""Bounds on what a source may hold, checked on its text before pandoc reads it.

pandoc and Python walk nested structures recursively: a blockquote nested 5,000 deep ended in a RecursionError,
3,000 nested brackets kept pandoc busy for minutes, a 20,000-row table drove its HTML writer to 7.7 GB. No
official document comes near these bounds; a file that passes them is refused at the line where it does,
with a message, before any program runs on it.
"""

from __future__ import annotations

import re

from ..document import SourceFile
from ..errors import Location, Problems

MAX_SOURCE_BYTES = 4 * 1024 * 1024  # about 1,200 pages of text in one file
MAX_NESTING = 32  # quotes and lists inside each other
MAX_BRACKETS = 32  # [ or ( open inside each other within a paragraph
MAX_TABLE_ROWS = 5000  # lines of one table

_CONTAINERS = re.compile(r"^(?:[ \t]*(?:>|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])))+")
_MARK = re.compile(r">|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])")
_ESCAPED = re.compile(r"\\.")


def check_limits(source: SourceFile, size: int, problems: Problems) -> bool:
    """Report every bound the source passes (once per kind, at its first line); True when it is within all."""
    found: set[str] = set()

    def refuse(kind: str, line: int, message: str, hint: str) -> None:
        if kind not in found:
            found.add(kind)
            problems.error(Location(source.path, line), message, f"fuente.limite-{kind}", hint)

    if size > MAX_SOURCE_BYTES:
        refuse("tamano", 1, f"el archivo ocupa {size / 1024 / 1024:.1f} MB; el máximo es {MAX_SOURCE_BYTES // 1024 // 1024} MB",
               "divídalo en varias partes y enlácelas desde la lista de partes del maestro")
    depth = {"[": 0, "(": 0}
    table_rows = 0
    for number, line in enumerate(source.lines, start=1):
        if not line.strip():
            depth = {"[": 0, "(": 0}
        containers = _CONTAINERS.match(line)
        if containers and len(_MARK.findall(containers.group(0))) > MAX_NESTING:
            refuse("anidamiento", number, f"citas o listas anidadas a más de {MAX_NESTING} niveles",
                   "un documento oficial no necesita tantos niveles: aplane la estructura")
        table_rows = table_rows + 1 if line.lstrip().startswith("|") else 0
        if table_rows > MAX_TABLE_ROWS:
            refuse("tabla", number, f"una tabla de más de {MAX_TABLE_ROWS} filas",
                   "divida la tabla, o publíquela como anexo en una hoja de cálculo")
        if not any(c in line for c in "[]()"):
            continue
        for char in _ESCAPED.sub("", line):
            if char in "[(":
                depth[char] += 1
                if depth[char] > MAX_BRACKETS:
                    refuse("corchetes", number, f"más de {MAX_BRACKETS} «{char}» abiertos uno dentro de otro",
                           "cierre los corchetes o paréntesis que sobran, o escríbalos como \\\\[ y \\\\(")
            elif char in "])":
                opening = "[" if char == "]" else "("
                depth[opening] = max(0, depth[opening] - 1)
    return not found
