"""The Markdown of MkDocs, Material and GitHub, rewritten as pandoc's Markdown before pandoc reads it.

Documents written elsewhere use constructs pandoc prints as text ("!!! note", "=== \"Tab\"", "--8<--", "> [!NOTE]").
Each is rewritten here, line by line and outside fenced code, into what pandoc reads natively (fenced divs with
classes that every output styles, definition lists, attributes), or into a placeholder that names what cannot
be drawn here (Mermaid) with a warning at its line. Raw HTML blocks (tables, figures) are cut out and replaced
by a token paragraph; `html_blocks` gives each token's HTML, which the assembler has pandoc read as HTML, so a
`<table>` becomes a real table in every output.

The source keeps its own text: the linter and every message read the lines the team wrote. Line numbers of
the rewritten text do not matter, since locations are found in the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from ..document import SourceFile
from ..errors import Location, Problems, display_path
from .anchors import FENCE

# Admonition types of Python-Markdown and Material, and GitHub's alerts, with the title a reader expects.
TITLES = {
    "note": "Nota", "abstract": "Resumen", "summary": "Resumen", "tldr": "Resumen", "info": "Información",
    "todo": "Pendiente", "tip": "Consejo", "hint": "Consejo", "important": "Importante", "success": "Correcto",
    "check": "Correcto", "done": "Hecho", "question": "Pregunta", "help": "Ayuda", "faq": "Preguntas frecuentes",
    "warning": "Advertencia", "caution": "Precaución", "attention": "Atención", "failure": "Fallo",
    "fail": "Fallo", "missing": "Falta", "danger": "Peligro", "error": "Error", "bug": "Error",
    "example": "Ejemplo", "quote": "Cita", "cite": "Cita",
}
ADMONITION_CLASS = "admonicion"
TITLE_CLASS = "titulo-caja"
TAB_CLASS = "pestana"
PLACEHOLDER_CLASS = "falta"
HTML_TOKEN = "IMPRENTAHTML"

_ADMONITION = re.compile(r"^(?P<indent>[ \t]*)(?:!!!|\?\?\?\+?)[ \t]+(?P<type>[\w-]+)(?P<classes>(?:[ \t]+[\w-]+)*)"
                         r"(?:[ \t]+\"(?P<title>[^\"]*)\")?[ \t]*$")
_TAB = re.compile(r"^(?P<indent>[ \t]*)===\+?[ \t]+\"(?P<title>[^\"]*)\"[ \t]*$")
_ALERT = re.compile(r"^(?P<indent>[ \t]*)>[ \t]*\[!(?P<type>NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*$", re.IGNORECASE)
ABBREVIATION = re.compile(r"^\*\[(?P<abbr>[^\]]+)\]:[ \t]*(?P<text>.*)$")
_SNIPPET = re.compile(r"^(?P<indent>[ \t]*)-{1,3}8<-{1,3}[ \t]+[\"'](?P<file>[^\"']+)[\"'][ \t]*$")
_KRAMDOWN_ATTRS = re.compile(r"\{:[ \t]*")
_MD_DIV = re.compile(r"^[ \t]*<div\b(?P<attrs>[^>]*)\bmarkdown(?:=[\"']?(?:1|block|span)[\"']?)?(?P<rest>[^>]*)>[ \t]*$",
                     re.IGNORECASE)
_CLOSE_DIV = re.compile(r"^[ \t]*</div>[ \t]*$", re.IGNORECASE)
_HTML_BLOCK = re.compile(r"^[ \t]{0,3}<(?P<tag>table|figure|p|div|center|dl|img)\b", re.IGNORECASE)
_CLASS_ATTR = re.compile(r"class=[\"']([^\"']*)[\"']", re.IGNORECASE)
_INLINE_IMG = re.compile(r"<img\b(?P<attrs>[^>]*?)/?>", re.IGNORECASE)
_HTML_ATTR = re.compile(r"(?P<key>[\w-]+)\s*=\s*(?:\"(?P<dq>[^\"]*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'>]+))")
_FRONT_MATTER_END = ("---", "...")
MAX_SNIPPET_DEPTH = 5


@dataclass
class Rewritten:
    """A source as pandoc should read it, and the raw HTML blocks cut out of it (token -> HTML, first line)."""

    markdown: str
    html_blocks: dict[str, tuple[str, int]] = field(default_factory=dict)
    snippets: list[Path] = field(default_factory=list)  # files included with --8<--: part of the document


def front_matter_end(lines: list[str]) -> int:
    """The number of lines of a YAML front matter block at the top (0 when there is none)."""
    if not lines or lines[0].strip() != "---":
        return 0
    for number, line in enumerate(lines[1:200], start=2):
        if line.strip() in _FRONT_MATTER_END:
            return number
    return 0


def front_matter(text: str) -> dict[str, object]:
    """The YAML front matter of a Markdown file as a mapping (empty when there is none or it is not valid YAML)."""
    import yaml

    lines = text.split("\n")
    end = front_matter_end(lines)
    if not end:
        return {}
    try:
        data = yaml.safe_load("\n".join(lines[1:end - 1]))
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}


def _dedent(line: str) -> str:
    if line.startswith("\t"):
        return line[1:]
    return line[4:] if line.startswith("    ") else line.lstrip(" ")


def _box(kind: str, classes: list[str], title: str | None, body: list[str]) -> list[str]:
    """A fenced div of pandoc with its title as a div of its own (what every output styles as a titled box)."""
    out = ["", "::::: {" + " ".join(f".{c}" for c in [kind, *classes]) + "}"]
    if title:
        out += [f"::: {TITLE_CLASS}", title.replace(":::", "\\:::"), ":::", ""]
    return [*out, *body, "", ":::::", ""]


def _attrs(text: str) -> dict[str, str]:
    return {m.group("key").lower(): m.group("dq") or m.group("sq") or m.group("bare") or "" for m in _HTML_ATTR.finditer(text)}


def _inline_images(line: str) -> str:
    """`<img src alt width>` in running text as a Markdown image, which the build checks and sizes like any other."""

    def image(match: re.Match[str]) -> str:
        attrs = _attrs(match.group("attrs"))
        if "src" not in attrs:
            return match.group(0)
        extra = " ".join(f"{k}={attrs[k]}" for k in ("width", "height") if k in attrs)
        alt = attrs.get("alt", "").replace("]", "\\]")
        return f"![{alt}]({attrs['src']})" + (f"{{{extra}}}" if extra else "")

    return _INLINE_IMG.sub(image, line) if "<img" in line.lower() else line


class _Rewriter:
    def __init__(self, source: SourceFile, problems: Problems, root: Path | None, depth: int = 0,
                 html: dict[str, tuple[str, int]] | None = None) -> None:
        self.source = source
        self.problems = problems
        self.root = root
        self.depth = depth
        self.html: dict[str, tuple[str, int]] = {} if html is None else html  # shared with included snippets
        self.abbreviations: list[tuple[str, str]] = []
        self.snippets: list[Path] = []

    def at(self, line: int) -> Location:
        return Location(self.source.path, line)

    def rewrite(self, lines: list[str], first: int) -> list[str]:
        """Rewrite lines (the first being line `first` of the source); indented bodies are rewritten recursively."""
        out: list[str] = []
        i = 0
        md_divs = 0
        while i < len(lines):
            line, number = lines[i], first + i
            fence = FENCE.match(line)
            if fence:
                i = self._fenced(lines, i, first, out)
                continue
            if match := _ADMONITION.match(line):
                body, i = self._indented(lines, i + 1)
                kind = match.group("type").lower()
                title = match.group("title")
                title = TITLES.get(kind, kind.capitalize()) if title is None else title
                classes = [kind, *match.group("classes").split()]
                out += _box(ADMONITION_CLASS, classes, title, self.rewrite(body, number + 1))
                continue
            if match := _TAB.match(line):
                body, i = self._indented(lines, i + 1)
                out += _box(TAB_CLASS, [], match.group("title"), self.rewrite(body, number + 1))
                continue
            if match := _ALERT.match(line):
                body = []
                i += 1
                while i < len(lines) and lines[i].lstrip().startswith(">"):
                    body.append(re.sub(r"^[ \t]*>[ \t]?", "", lines[i]))
                    i += 1
                kind = match.group("type").lower()
                out += _box(ADMONITION_CLASS, [kind], TITLES[kind], self.rewrite(body, number + 1))
                continue
            if match := ABBREVIATION.match(line):
                self.abbreviations.append((match.group("abbr"), match.group("text")))
                out.append("")
                i += 1
                continue
            if match := _SNIPPET.match(line):
                out += self._snippet(match.group("file"), number)
                i += 1
                continue
            if match := _MD_DIV.match(line):
                classes = _CLASS_ATTR.search(match.group("attrs") + match.group("rest"))
                names = classes.group(1).split() if classes else []
                out += ["", ":::: {" + " ".join(f".{c}" for c in names or ["bloque"]) + "}", ""]
                md_divs += 1
                i += 1
                continue
            if md_divs and _CLOSE_DIV.match(line):
                out += ["", "::::", ""]
                md_divs -= 1
                i += 1
                continue
            if (match := _HTML_BLOCK.match(line)) and (not out or not out[-1].strip()):
                i = self._html_block(lines, i, first, match.group("tag").lower(), out)
                continue
            out.append(_inline_images(_KRAMDOWN_ATTRS.sub("{", line)) if "<" in line or "{:" in line else line)
            i += 1
        return out

    def _indented(self, lines: list[str], i: int) -> tuple[list[str], int]:
        """The indented body that follows an admonition or tab line (blank lines inside it included)."""
        body: list[str] = []
        while i < len(lines) and (not lines[i].strip() or lines[i].startswith(("    ", "\t"))):
            body.append(_dedent(lines[i]))
            i += 1
        while body and not body[-1].strip():  # trailing blanks belong to what follows
            body.pop()
            i -= 1
        return body, i

    def _fenced(self, lines: list[str], i: int, first: int, out: list[str]) -> int:
        """A fenced code block, kept as written; a Mermaid diagram also gets a framed placeholder and a warning."""
        opening = lines[i]
        marker = FENCE.match(opening).group(1)  # type: ignore[union-attr]
        info = opening.strip()[len(marker):].strip().lstrip("{").lstrip(".").split()[:1]
        end = i + 1
        while end < len(lines) and not (lines[end].strip().startswith(marker[0] * len(marker))
                                        and not lines[end].strip().strip(marker[0])):
            end += 1
        block = lines[i:end + 1]
        if info and info[0].lower() == "mermaid":
            number = first + i
            self.problems.warning(self.at(number), "diagrama Mermaid: Imprenta no lo dibuja; se publica su código",
                                  "dialecto.mermaid",
                                  "exporte el diagrama como SVG o PNG e inclúyalo como imagen")
            out += ["", f"::: {PLACEHOLDER_CLASS}",
                    f"[Diagrama Mermaid no dibujado: su código sigue; fuente {display_path(self.source.path)}, "
                    f"línea {number}]", ":::", ""]
            indent = opening[: len(opening) - len(opening.lstrip())]
            block = [f"{indent}{marker}text", *block[1:]]
        out += block
        return end + 1

    def _snippet(self, name: str, number: int) -> list[str]:
        """pymdownx.snippets: the named file's lines, found beside the source or at the project's root, inside it."""
        candidates = [self.source.path.parent / name] + ([self.root / name] if self.root else [])
        found = next((p.resolve() for p in candidates if p.is_file()), None)
        if found is None or (self.root is not None and not found.is_relative_to(self.root)):
            reason = "fuera del proyecto" if found is not None else "no se encontró"
            self.problems.error(self.at(number), f"fragmento incluido {reason}: {name}", "dialecto.fragmento",
                                "los fragmentos (--8<--) se buscan junto al archivo o en la raíz del proyecto, y dentro de él")
            return ["", f"::: {PLACEHOLDER_CLASS}", f"[Fragmento no incluido: {name}]", ":::", ""]
        if self.depth >= MAX_SNIPPET_DEPTH:
            self.problems.error(self.at(number), f"fragmentos incluidos unos en otros más de {MAX_SNIPPET_DEPTH} veces",
                                "dialecto.fragmento", "un fragmento no puede incluirse a sí mismo")
            return []
        self.snippets.append(found)
        text = found.read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")
        inner = _Rewriter(SourceFile(found, text), self.problems, self.root, self.depth + 1, self.html)
        lines = inner.rewrite(text.split("\n"), 1)
        self.abbreviations += inner.abbreviations
        self.snippets += inner.snippets
        return lines

    def _html_block(self, lines: list[str], i: int, first: int, tag: str, out: list[str]) -> int:
        """A block of raw HTML, up to the line that closes its first element (or a blank line for <p>, <img>)."""
        end = i
        closing = re.compile(rf"</{tag}\s*>", re.IGNORECASE)
        if tag in ("img",):
            closing = re.compile(r">")
        while end < len(lines):
            if closing.search(lines[end]) or (tag in ("p", "div", "center") and end > i and not lines[end].strip()):
                break
            end += 1
        end = min(end, len(lines) - 1)
        token = f"{HTML_TOKEN}{len(self.html) + 1:05d}"
        self.html[token] = ("\n".join(lines[i:end + 1]), first + i)
        out += ["", token, ""]
        return end + 1


def rewrite(source: SourceFile, problems: Problems, root: Path | None) -> Rewritten:
    """The source as pandoc's Markdown reads it (see the module's docstring)."""
    lines = source.text.split("\n")
    skip = front_matter_end(lines)  # metadata, never printed: pandoc would read a YAML error as fatal
    rewriter = _Rewriter(source, problems, root)
    body = rewriter.rewrite(lines[skip:], skip + 1)
    if rewriter.abbreviations:
        listing = [line for abbr, text in rewriter.abbreviations for line in (abbr, f":   {text}", "")]
        body += _box("abreviaturas", [], "Abreviaturas", listing)
    return Rewritten("\n".join([""] * skip + body), rewriter.html, rewriter.snippets)
