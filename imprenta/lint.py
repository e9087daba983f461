"""The source linter: writing slips and structure problems, each with file:line and a code; it never edits a source."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from .document import SourceFile
from .errors import Location, Problems

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
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
_LIST_MARKER = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")


def prose_lines(source: SourceFile) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line outside fenced code, with code spans and link targets taken out."""
    fence: str | None = None
    for number, line in enumerate(source.lines, start=1):
        match = _FENCE.match(line)
        if match:
            marker = match.group(1)[0]
            fence = marker if fence is None else (None if fence == marker else fence)
            continue
        if fence or line.startswith(("    ", "\t")) and not line.lstrip().startswith(("-", "*", "+")):
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


def slug(text: str) -> str:
    """pandoc's automatic identifier for a heading (ascii_identifiers): what two headings would collide on."""
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s.-]", "", text.lower())
    return re.sub(r"\s+", "-", text.strip()).lstrip("0123456789.-_")


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


def lint_document(sources: list[SourceFile], master_dir: Path, problems: Problems) -> None:
    """Every check on an assembled document's sources (the build runs these too)."""
    for source in sources:
        check_text(source, problems)
    check_headings([h for source in sources for h in source_headings(source)], problems)
    check_unlisted(master_dir, {s.path.resolve() for s in sources}, problems)


_TARGET = r"<?((?:[^()\s<>]|\([^()\s]*\))*)>?"  # a URL may hold balanced parentheses: Forgery_(SSRF)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*" + _TARGET + r"(?:\s+\"[^\"]*\")?\s*\)")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(\s*" + _TARGET + r"(?:\s+\"[^\"]*\")?\s*\)")
_URL_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def _anchors(source: SourceFile) -> set[str]:
    found = set()
    for line in source.lines:
        found.update(m.group(1) for m in re.finditer(r"\{[^}]*#([^}\s]+)", line))
    found.update(slug(text) for _, _, text, _ in source_headings(source))
    return found


def check_references(source: SourceFile, problems: Problems, read: dict[Path, SourceFile | None]) -> None:
    """Links, anchors and images of a file on its own (for documents without a master, as in the corpus)."""
    from urllib.parse import unquote

    from .project import exists, read_source

    fence: str | None = None
    for number, line in enumerate(source.lines, start=1):
        match = _FENCE.match(line)
        if match:
            fence = match.group(1)[0] if fence is None else (None if fence == match.group(1)[0] else fence)
            continue
        if fence:
            continue
        at = Location(source.path, number)
        line = _CODE_SPAN.sub("·", line)
        for image in _IMAGE.finditer(line):
            alt, target = image.group(1).strip(), image.group(2)
            if _URL_SCHEME.match(target):
                problems.error(at, f"imagen externa: {target}", "imagen.remota", "guarde la imagen junto al documento")
            elif not exists(source.path.parent / unquote(target.split("#")[0])):
                problems.error(at, f"imagen no encontrada: {target}", "imagen.falta", f"la ruta se lee relativa a {source.path.parent.name}/")
            if not alt:
                problems.warning(at, f"la imagen {target} no tiene texto alternativo", "imagen.sin-alt",
                                 "escriba una descripción entre los corchetes")
        for link in _LINK.finditer(line):
            target = link.group(1)
            if not target or _URL_SCHEME.match(target):
                continue
            path_part, _, fragment = target.partition("#")
            path = (source.path.parent / unquote(path_part)).resolve() if path_part else source.path
            if path_part and not exists(path, "any"):
                problems.error(at, f"enlace roto: {target}", "enlace.roto", f"no existe {path_part} junto a {source.path.name}")
                continue
            if fragment and path.suffix == ".md":
                if path not in read:
                    read[path] = read_source(path, Problems(), at) if path != source.path else source
                target_source = read[path]
                if target_source is not None and fragment not in _anchors(target_source):
                    problems.error(at, f"el enlace {target} apunta a un título que no existe", "enlace.ancla",
                                   "los anclajes son el texto del título en minúsculas, sin tildes y con guiones")


def lint_files(paths: list[Path], problems: Problems) -> int:
    """Every check that needs no master, on Markdown files and folders; returns how many files were read."""
    from .project import read_source

    files: list[Path] = []
    for path in paths:
        files.extend(sorted(p for p in path.rglob("*.md")) if path.is_dir() else [path])
    read: dict[Path, SourceFile | None] = {}
    for path in files:
        source = read_source(path, problems, Location(path, 1))
        if source is None:
            continue
        read[path.resolve()] = source
        check_text(source, problems)
        check_headings(source_headings(source), problems)
        check_references(source, problems, read)
    return len(files)
