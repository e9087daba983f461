"""The source linter: writing slips and structure problems, each with file:line and a code; it never edits a source."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..document import SourceFile
from ..errors import Location, Problems
from .anchors import slug, unfenced
from .assemble import check_files
from .dialect import ABBREVIATION
from .project import read_source

_CODE_SPAN = re.compile(r"`+[^`]*`+")
_LINK_TARGET = re.compile(r"\]\((?:[^()]|\([^()]*\))*\)|<https?://[^>]*>|https?://\S+")
_REPEATED = re.compile(r"\b(\w{2,})\s+\1\b", re.IGNORECASE)
# A leftover of an edit: "en sus de sus", "a los de los": preposition, determiner, preposition, the same determiner.
_PREPOSITIONS = "a|al|ante|con|de|del|desde|en|entre|hacia|hasta|para|por|sin|sobre|tras"
_DETERMINERS = "el|la|los|las|lo|su|sus|un|una|unos|unas|este|esta|estos|estas|ese|esa|esos|esas|nuestro|nuestra|nuestros|nuestras"
_LEFTOVER = re.compile(rf"\b(?:{_PREPOSITIONS})\s+({_DETERMINERS})\s+(?:{_PREPOSITIONS})\s+\1\b", re.IGNORECASE)
# Capitals that end a word after small letters ("debeRÁ", "gestiÓN"): a slip of the caps-lock key. Words in
# capitals, initials and CamelCase names (GitHub, AppSec: small letters follow the capital) are left alone.
_ODD_CAPS = re.compile(r"\b[^\W\d_]*[a-záéíóúñü][A-ZÁÉÍÓÚÑÜ]+\b")
_DOUBLE_SPACE = re.compile(r"(?<=\S) {2,}(?=\S)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*(?:\{[^}]*\})?\s*#*\s*$")
_EXPLICIT_ID = re.compile(r"\{[^}]*#[^}\s]+")
# A list bullet, or the ":" that opens a definition: the spaces after either are indentation, not a slip.
_LIST_MARKER = re.compile(r"^\s*(?:[-*+:]|\d+[.)])\s+")


def prose_lines(source: SourceFile) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line outside fenced code, with code spans and link targets taken out."""
    for number, line in unfenced(source.lines):
        if line.startswith(("    ", "\t")) and not line.lstrip().startswith(("-", "*", "+")):
            continue
        if ABBREVIATION.match(line):  # `*[DCAT]: ...` defines an abbreviation: no emphasis, no prose
            continue
        # A code span becomes one neutral character and a link target disappears: neither is prose.
        yield number, _LINK_TARGET.sub(lambda m: "]" if m.group(0).startswith("]") else "·", _CODE_SPAN.sub("·", line))


def _paragraphs(source: SourceFile) -> Iterator[tuple[int, str]]:
    """(first line, text) of each paragraph outside code, for checks that span lines (emphasis markers)."""
    start, chunk = 0, []
    for number, line in prose_lines(source):
        if not line.strip() or _HEADING.match(line):
            if chunk:
                yield start, " ".join(chunk)
            start, chunk = 0, []
            if line.strip():
                yield number, line
            continue
        if not chunk:
            start = number
        chunk.append(line)
    if chunk:
        yield start, " ".join(chunk)


def check_text(source: SourceFile, problems: Problems) -> None:
    """Writing slips: repeated words, odd capitals, double spaces, unbalanced emphasis."""
    for number, line in prose_lines(source):
        at = Location(source.path, number)
        for match in _REPEATED.finditer(line):
            if match.group(1).isdigit():
                continue
            problems.warning(at, f"palabra repetida: «{match.group(0)}»", "estilo.repetida", "quite una de las dos")
        for match in _LEFTOVER.finditer(line):
            problems.warning(at, f"palabras repetidas: «{match.group(0)}»", "estilo.repetida",
                             "parece un resto de una corrección: deje una sola de las dos expresiones")
        for match in _ODD_CAPS.finditer(line):
            problems.warning(at, f"mayúscula dentro de una palabra: «{match.group(0)}»", "estilo.mayusculas",
                             f"¿quiso decir «{match.group(0).lower()}»?")
        table_row = line.lstrip().startswith("|")
        body = _LIST_MARKER.sub("", line).rstrip()  # the spaces after a list bullet are indentation, not a slip
        if not table_row and _DOUBLE_SPACE.search(body):
            problems.warning(at, "dos espacios seguidos", "estilo.espacios", "deje un solo espacio entre palabras")
    for number, text in _paragraphs(source):
        stripped = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+", "", text)  # a list bullet is not emphasis
        stripped = re.sub(r"(?<=\w)_(?=\w)", "", stripped)  # snake_case words are not emphasis
        for marker, name in (("**", "**"), ("__", "__")):
            if stripped.count(marker) % 2:
                problems.warning(Location(source.path, number), f"énfasis sin cerrar: hay un «{name}» sin pareja",
                                 "estilo.enfasis", f"cierre el énfasis con otro «{name}» o quite el que sobra")
        single = re.sub(r"\*\*|__", "", stripped)
        single = re.sub(r"(?<=\s)\*(?=\s)", "", single)  # a lone asterisk between spaces is a sign, not emphasis
        for marker in ("*", "_"):
            if single.count(marker) % 2:
                problems.warning(Location(source.path, number), f"énfasis sin cerrar: hay un «{marker}» sin pareja",
                                 "estilo.enfasis", f"cierre el énfasis con otro «{marker}» o quite el que sobra")


def check_headings(headings: list[tuple[Location, int, str, bool]], problems: Problems) -> None:
    """Levels that skip (a level 1 then a level 3) and headings whose anchors would collide within one file
    (each part has its own anchors: the same title in two parts is fine)."""
    previous: dict[Path, int] = {}
    seen: dict[tuple[Path, str], Location] = {}
    for at, level, text, explicit in headings:
        before = previous.get(at.path)
        if before is not None and level > before + 1:
            problems.warning(at, f"el título «{text}» salta del nivel {before} al {level}", "titulos.salto",
                             f"use {'#' * (before + 1)} (nivel {before + 1}) o añada el título intermedio")
        previous[at.path] = level
        key = (at.path, slug(text))
        if not explicit and key[1] and key in seen:
            first = seen[key]
            problems.warning(at, f"título repetido: «{text}» ya está en la línea {first.line}; "
                                 "los enlaces a él irían al primero", "titulos.repetido",
                             "cambie el texto de uno, o dele un anclaje propio: ## Título {#otro-anclaje}")
        seen.setdefault(key, at)


def source_headings(source: SourceFile) -> list[tuple[Location, int, str, bool]]:
    """The ATX headings of one source, as the linter sees them."""
    found = []
    lines = source.lines
    for number in source.heading_lines():
        match = _HEADING.match(lines[number - 1])
        if match:
            found.append((Location(source.path, number), len(match.group(1)), match.group(2), bool(_EXPLICIT_ID.search(lines[number - 1]))))
    return found


def check_unlisted(folder: Path, listed: set[Path], problems: Problems) -> None:
    """Markdown files beside the master that no part list names: written, but never published."""
    for path in sorted(folder.rglob("*.md")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.resolve() not in listed:
            problems.warning(Location(path, 1), "esta parte no figura en la lista del documento maestro: no se publica",
                             "partes.sin-listar", "enlácela desde la lista de partes del maestro, o muévala fuera de la carpeta")


def lint_document(sources: list[SourceFile], master_dir: Path, problems: Problems,
                  listed: set[Path] | None = None) -> None:
    """Every check on an assembled document's sources (the build runs these too). listed: every file the lists
    of parts name, readable or not (a part that is not UTF-8 is listed all the same: it is not "unlisted")."""
    for source in sources:
        check_text(source, problems)
    check_headings([h for source in sources for h in source_headings(source)], problems)
    check_unlisted(master_dir, listed or {s.path.resolve() for s in sources}, problems)


def lint_files(paths: list[Path], problems: Problems, cache_dir: Path) -> int:
    """Every check that needs no master, on Markdown files and folders; returns how many files were read.
    Links, anchors and images are checked by the assembler, as in a build."""
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*.md")) if path.is_dir() else [path])
    sources = [s for path in files if (s := read_source(path, problems, Location(path, 1))) is not None]
    check_files(sources, problems, cache_dir)
    for source in sources:
        check_text(source, problems)
        check_headings(source_headings(source), problems)
    return len(files)
