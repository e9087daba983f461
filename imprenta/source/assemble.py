"""Parts -> one Document: the master's list of links becomes the parts, anchors become unique, links internal."""

from __future__ import annotations

import difflib
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from ..config import Config
from ..document import IMAGE_PLACEHOLDER, Document, Heading, ImageRef, SourceFile
from ..errors import Location, Problems, display_path
from ..pandocast import Blocks, Element, parse_markdown, stringify, text_inlines, walk
from .anchors import URL_SCHEME, normalize_anchor, slug
from .dialect import rewrite
from .numbering import number_floats
from .project import Project, exists, load_project, read_source, suggest_file

# Raw HTML passes through to the PDF only as inline formatting: anything that loads, runs or styles is refused.
# Where each element keeps its attributes (identifier, classes, key-value pairs).
_ATTR_AT = {"Span": 0, "Div": 0, "Link": 0, "Image": 0, "Code": 0, "CodeBlock": 0, "Header": 1, "Table": 0, "Figure": 0}
# Raw HTML is content (tables, line breaks, emphasis, presentation attributes); refused is only what loads or runs
# something. A block of HTML (a table, a figure) is read by pandoc as HTML, so its <img> become images that are
# checked like any other; raw HTML left inline keeps no <img> (dialect.py turns them into Markdown images).
_LOADS_OR_RUNS = (r"<\s*(script|iframe|frame|frameset|object|embed|applet|link|style|base|meta|form|input|button|"
                  r"video|audio|source|track{extra})\b"
                  r"|\b(srcset|poster|data|action|formaction|background|on\w+)\s*="
                  r"|url\s*\(|@import|expression\s*\(|javascript:")
_UNSAFE_HTML = re.compile(_LOADS_OR_RUNS.format(extra="|img|svg|image") + r"|\bsrc\s*=", re.IGNORECASE)
_UNSAFE_HTML_BLOCK = re.compile(_LOADS_OR_RUNS.format(extra="|svg"), re.IGNORECASE)
# Attributes of a Markdown element ({width=8cm}, <span style="color: red">): presentation is kept, a reference to
# another resource is not.
_UNSAFE_ATTRIBUTES = ("src", "href", "background", "srcset", "poster", "data")
# What _resolve_link returns for a link that leads nowhere (reported; in a draft, the link becomes its text).
BROKEN = "\x00roto"
# LaTeX page breaks that MkDocs PDF plugins honour: a Div of this class, which every output turns into a break.
PAGE_BREAKS = ("\\newpage", "\\pagebreak", "\\clearpage")
PAGE_BREAK_CLASS = "salto-pagina"
# Citation keys with these prefixes are cross-references: a missing target is an error, not a literal "@".
CROSSREF_PREFIXES = ("fig-", "tbl-", "sec-")


@dataclass
class _FileNode:
    """One source file in the inclusion tree, with its parsed blocks and the parts it lists."""

    source: SourceFile
    blocks: Blocks
    listed_at: Location
    anchor: str = ""
    parts: dict[int, list[_FileNode]] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)  # normalised local id -> global id
    group: bool = False  # a group title or a placeholder of the list of parts, not a file of its own


@dataclass
class _Entry:
    """One item of a list of parts: a part (its link and the link's text) or a group title, at its depth."""

    url: str | None
    title: str
    depth: int


def _part_entries(block: Element, depth: int = 0) -> list[_Entry] | None:
    """The entries of a list of parts, in reading order, else None.

    A list of parts holds, at any nesting, items that start with a link to a local Markdown file (a description
    may follow the link) and items whose text is a group title with such items under them. Any other item
    makes the list ordinary content.
    """
    if block["t"] == "BulletList":
        items = block["c"]
    elif block["t"] == "OrderedList":
        items = block["c"][1]
    else:
        return None
    entries: list[_Entry] = []
    for item in items:
        if not item or item[0]["t"] not in ("Plain", "Para") or len(item) > 2:
            return None
        sublist = _part_entries(item[1], depth + 1) if len(item) == 2 else []
        if sublist is None:
            return None
        inlines = [i for i in item[0]["c"] if i["t"] not in ("Space", "SoftBreak")]
        first = inlines[0] if inlines else None
        while first is not None and first["t"] in ("Strong", "Emph") and len(first["c"]) == 1:
            first = first["c"][0]  # **[Parte](parte.md)**: still a link
        if first is not None and first["t"] == "Link":
            url = first["c"][2][0]
            if URL_SCHEME.match(url) or not url.split("#", 1)[0].lower().endswith(".md"):
                return None
            entries.append(_Entry(url, stringify(first["c"][1]), depth))
        elif sublist and inlines:
            entries.append(_Entry(None, stringify(item[0]["c"]), depth))  # a group title
        else:
            return None
        entries.extend(sublist)
    return entries if any(e.url for e in entries) else None


class _Assembler:
    """Builds one Document from the master and its parts, reporting every problem it meets.

    With loose=True it checks Markdown files that belong to no document (`revisar carpeta/`): each file is a
    root of its own, lists of links are not parts, and links between the files are checked all the same.
    """

    def __init__(self, problems: Problems, cache_dir: Path, master_dir: Path | None, loose: bool = False,
                 draft: bool = False, root: Path | None = None) -> None:
        self.problems = problems
        # A draft is built despite broken links, missing images or parts: each is a warning, shown in the output.
        self.draft = draft
        self.cache_dir = cache_dir
        self.master_dir = master_dir
        # Images and snippets must stay inside the project (no bound for loose files).
        self.root = root
        self.loose = loose
        self.included: dict[Path, Location] = {}
        self.snippets: set[Path] = set()  # files included with --8<-- (listed, for the linter)
        self.failed: set[Path] = set()  # parts already reported as unusable: links to them say nothing more
        self.nodes: dict[Path, _FileNode] = {}
        self.sources: list[SourceFile] = []
        self.api_version: list[int] = [1, 23, 1, 1]
        self.images: list[ImageRef] = []
        self.headings: list[Heading] = []
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="pandoc")
        self.prefetched: dict[tuple[Path, str], Future[dict[str, Any]]] = {}

    def listed(self) -> set[Path]:
        """Every file the document names as its own: parts (read or not) and included snippets."""
        return {p.resolve() for p in (*self.included, *self.failed, *self.snippets)}

    def run(self, roots: list[SourceFile], explicit: SourceFile | None = None) -> list[_FileNode]:
        """Parse every file (the parts each lists, unless loose), give anchors, resolve links and images."""
        nodes = []
        with self.pool:
            for source in roots[1:]:  # several roots (loose files): parsed side by side, like the parts
                self._submit(source)
            for source in roots:
                self.included[source.path] = source.location(1)
                nodes.append(self.collect(source, [source.path], source.location(1), explicit))
        for node in nodes:
            self.assign_anchors(node)
        for root in nodes:
            for node in self._document_order(root):
                self.resolve_references(node)
        return nodes

    # -- stage 1: read and parse every file of the inclusion tree -------------------------------------
    def _parse(self, source: SourceFile) -> dict[str, Any]:
        """The file as pandoc reads it once the dialect is rewritten; its raw HTML blocks read by pandoc as HTML."""
        rewritten = rewrite(source, self.problems, self.root)
        self.snippets.update(rewritten.snippets)
        future = self.prefetched.pop((source.path, rewritten.markdown), None)
        ast = future.result() if future is not None else parse_markdown(
            rewritten.markdown, display_path(source.path), self.cache_dir)
        if rewritten.html_blocks:
            self._insert_html(source, ast["blocks"], rewritten.html_blocks)
        return ast

    def _submit(self, source: SourceFile) -> None:
        """Start parsing a file in the pool (its dialect problems are reported when it is parsed for real)."""
        markdown = rewrite(source, Problems(), self.root).markdown
        if (source.path, markdown) not in self.prefetched:
            self.prefetched[(source.path, markdown)] = self.pool.submit(
                parse_markdown, markdown, display_path(source.path), self.cache_dir)

    def _insert_html(self, source: SourceFile, blocks: Blocks, html: dict[str, tuple[str, int]]) -> None:
        """Each token paragraph left by the dialect replaced by its HTML as pandoc reads it (tables stay tables)."""
        parsed: dict[str, Blocks] = {}
        for token, (text, line) in html.items():
            if match := _UNSAFE_HTML_BLOCK.search(text):
                self.problems.error(Location(source.path, line + text.count("\n", 0, match.start())),
                                    f"HTML no permitido: «{match.group(0).strip()}» puede cargar o ejecutar contenido",
                                    "fuente.html", "quite esa parte: el HTML se admite para dar forma, no para cargar "
                                    "ni ejecutar nada")
                parsed[token] = []
                continue
            parsed[token] = parse_markdown(text, f"{display_path(source.path)}:{line}", self.cache_dir,
                                           reader="html")["blocks"]

        def splice(value: Any) -> None:
            if isinstance(value, list):
                out: list[Any] = []
                for item in value:
                    if (isinstance(item, dict) and item.get("t") in ("Para", "Plain") and len(item["c"]) == 1
                            and item["c"][0].get("t") == "Str" and item["c"][0]["c"] in parsed):
                        out.extend(parsed[item["c"][0]["c"]])
                    else:
                        splice(item)
                        out.append(item)
                value[:] = out
            elif isinstance(value, dict):
                for child in value.values():
                    if isinstance(child, (list, dict)):
                        splice(child)

        splice(blocks)

    def _prefetch(self, source: SourceFile, blocks: Blocks) -> None:
        """Start parsing the parts a file lists, side by side, before they are included one by one."""
        for block in blocks:
            for url in (e.url for e in _part_entries(block) or () if e.url):
                target = (source.path.parent / unquote(url.split("#", 1)[0])).resolve()
                if target in self.included or target in self.nodes or not exists(target):
                    continue  # the inclusion itself reports what is wrong with it
                part = read_source(target, Problems(), Location(target, 1))
                if part is not None and part.text.strip():
                    self._submit(part)

    def collect(self, source: SourceFile, chain: list[Path], listed_at: Location,
                explicit: SourceFile | None = None) -> _FileNode:
        """A file and, unless loose, the parts its lists name; explicit (metadatos.toml's `partes`) replaces them."""
        ast = self._parse(source)
        self.api_version = ast["pandoc-api-version"]
        node = _FileNode(source=source, blocks=ast["blocks"], listed_at=listed_at)
        listers: dict[int, SourceFile] = {}  # the file each list of parts is written in (for paths and lines)
        if explicit is not None:
            lists = [i for i, block in enumerate(node.blocks) if _part_entries(block) is not None]
            block = parse_markdown(explicit.text, display_path(explicit.path), self.cache_dir)["blocks"][0]
            at = lists[0] if lists else len(node.blocks)
            node.blocks = [b for i, b in enumerate(node.blocks) if i not in lists[1:] and i != at]
            node.blocks.insert(at, block)
            listers[at] = explicit
        self.nodes[source.path] = node
        self.sources.append(source)
        if self.loose:
            return node
        self._prefetch(source, node.blocks)
        seen: dict[str, int] = {}
        for index, block in enumerate(node.blocks):
            entries = _part_entries(block)
            if entries is None:
                continue
            children: list[_FileNode] = []
            lister = listers.get(index, source)
            for entry in entries:
                if entry.url is None:
                    at = lister.location(lister.find_line(entry.title))
                    children.append(self._group(source, entry, at))
                    continue
                occurrence = seen.get(entry.url, 0)
                seen[entry.url] = occurrence + 1
                at = lister.location(lister.find_reference(entry.url, occurrence))
                child = self._include(lister, entry, chain, at)
                if child is not None:
                    children.append(child)
            node.parts[index] = children
        return node

    def _group(self, parent: SourceFile, entry: _Entry, at: Location) -> _FileNode:
        """A group title of the list of parts: a heading at its level, the parts under it one level deeper."""
        header = {"t": "Header", "c": [min(entry.depth + 1, 6), ["", ["grupo"], []], text_inlines(entry.title)]}
        return _FileNode(source=parent, blocks=[header], listed_at=at, group=True)

    def _placeholder(self, parent: SourceFile, text: str, at: Location) -> _FileNode:
        """What a draft shows where something could not be included: a framed note naming it."""
        block = {"t": "Div", "c": [["", ["falta"], []], [{"t": "Para", "c": text_inlines(text)}]]}
        return _FileNode(source=parent, blocks=[block], listed_at=at, group=True)

    @staticmethod
    def _fit(blocks: Blocks, entry: _Entry) -> Blocks:
        """A part's headings moved under its place in the structure; the link's text as its title when the part
        has no level-1 heading of its own (MkDocs pages often take their title from the nav only)."""
        headers = [b for b in blocks if b["t"] == "Header"]
        if entry.title and not any(h["c"][0] == 1 for h in headers):
            blocks = [{"t": "Header", "c": [1, ["", ["titulo-nav"], []], text_inlines(entry.title)]}, *blocks]
        if entry.depth:
            walk(blocks, lambda el: el["c"].__setitem__(0, min(el["c"][0] + entry.depth, 6))
                 if el["t"] == "Header" else None)
        return blocks

    def _include(self, parent: SourceFile, entry: _Entry, chain: list[Path], at: Location) -> _FileNode | None:
        url = entry.url or ""
        target = (parent.path.parent / unquote(url.split("#", 1)[0])).resolve()
        if target in chain:
            cycle = " → ".join(display_path(p) for p in [*chain[chain.index(target):], target])
            self.problems.error(
                at,
                f"la parte {display_path(target)} se incluye a sí misma en un ciclo: {cycle}",
                "parte.ciclo",
                "una parte no puede listar al maestro ni a una parte que la contiene; quite ese enlace de la lista",
            )
            return None
        if target in self.included:
            self.problems.error(
                at,
                f"la parte {display_path(target)} está listada dos veces",
                "parte.repetida",
                f"ya se incluyó en {self.included[target]}; quite una de las dos entradas",
            )
            return None
        if self.draft and not exists(target):
            self._missing(at, "fuente.falta", f"no se encontró el archivo {target.name}",
                          f"compruebe la ruta; se busca en {display_path(target.parent)}/")
            self.failed.add(target)
            return self._placeholder(parent, f"[Parte no encontrada: {url}]", at)
        source = read_source(target, self.problems, at)
        if source is None:
            self.failed.add(target)
            return None
        self.included[target] = at
        if not source.text.strip():
            self.failed.add(target)
            self.problems.error(
                at,
                f"la parte {display_path(target)} está vacía",
                "parte.vacia",
                "escriba su contenido, o quítela de la lista de partes",
            )
            return None
        node = self.collect(source, [*chain, target], at)
        node.blocks = self._fit(node.blocks, entry)
        return node

    # -- stage 2: unique anchors across the whole document ---------------------------------------------
    def assign_anchors(self, root: _FileNode) -> None:
        used: set[str] = set()

        def unique(base: str, prefix: str) -> str:
            candidate = base if base not in used else f"{prefix}-{base}"
            n = 1
            while candidate in used:
                candidate = f"{prefix}-{base}-{n}"
                n += 1
            used.add(candidate)
            return candidate

        for node in self._document_order(root):
            stem = slug(node.source.path.stem) or "parte"
            if node is not root:
                node.anchor = unique(f"grupo-{stem}" if node.group else f"parte-{stem}", "doc")
            headers: list[Element] = []
            walk(node.blocks, lambda el, found=headers: found.append(el) if el["t"] == "Header" else None)
            written = [h for h in headers if not ({"titulo-nav", "grupo"} & set(h["c"][1][1]))]
            lines = node.source.heading_lines()
            for header in headers:
                level, attr, inlines = header["c"]
                text = stringify(inlines)
                local = attr[0] or slug(text) or "seccion"
                global_id = unique(local, stem)
                node.anchors.setdefault(normalize_anchor(local), global_id)
                attr[0] = global_id
                if header not in written:  # a title Imprenta wrote: where the list of parts names it
                    where = node.listed_at
                else:
                    position = next(i for i, h in enumerate(written) if h is header)
                    line = lines[position] if len(lines) == len(written) else node.source.find_line(text)
                    where = node.source.location(line)
                self.headings.append(Heading(global_id, level, text, where))
            # Figures and tables with an id ({#fig-...}, {#tbl-...}) are link and cross-reference targets too.
            floats: list[Element] = []
            walk(node.blocks,
                 lambda el, found=floats: found.append(el) if el["t"] in ("Figure", "Table") and el["c"][0][0] else None)
            for element in floats:
                attr = element["c"][0]
                global_id = unique(attr[0], stem)
                node.anchors.setdefault(normalize_anchor(attr[0]), global_id)
                attr[0] = global_id
            if node is root:
                node.anchor = next(iter(node.anchors.values()), unique("inicio", stem))

    def _document_order(self, node: _FileNode) -> list[_FileNode]:
        order = [node]
        for index in sorted(node.parts):
            for child in node.parts[index]:
                order.extend(self._document_order(child))
        return order

    # -- stage 3: links and images, resolved relative to the file that names them ---------------------
    def resolve_references(self, node: _FileNode) -> None:
        occurrences: dict[str, int] = {}

        def locate(url: str) -> Location:
            n = occurrences.get(url, 0)
            occurrences[url] = n + 1
            return node.source.location(node.source.find_reference(url, n))

        def visit(el: Element) -> None:
            if el["t"] == "Link" and "ref" not in el["c"][0][1]:  # cross-references are already resolved
                target = el["c"][2]
                resolved = self._resolve_link(node, target[0], locate(target[0]))
                if resolved is BROKEN:  # (a draft: the build goes on) the text stays, without the link
                    el["t"], el["c"] = "Span", [["", ["enlace-roto"], [["destino", target[0]]]], el["c"][1]]
                elif resolved is not None:
                    target[0] = resolved
            elif el["t"] == "Image":
                self._resolve_image(node, el, locate(el["c"][2][0]))
            elif el["t"] == "Cite":
                self._resolve_cite(node, el)
            elif el["t"] in ("RawInline", "RawBlock"):
                self._check_raw(node, el)
            if el["t"] in _ATTR_AT:
                self._check_attributes(node, el["c"][_ATTR_AT[el["t"]]])

        for index, block in enumerate(node.blocks):
            if index not in node.parts:
                walk(block, visit)

    def _missing(self, at: Location, code: str, message: str, hint: str) -> None:
        """Something the sources name that is not there: an error, or in a draft a warning (the output shows it)."""
        (self.problems.warning if self.draft else self.problems.error)(at, message, code, hint)

    def _resolve_link(self, node: _FileNode, url: str, at: Location) -> str | None:
        """The link's target inside the document, None to leave it as written, BROKEN when it leads nowhere."""
        if URL_SCHEME.match(url.lstrip("<")) or not url:
            return None
        path_part, _, fragment = url.partition("#")
        if path_part:
            target_path = (node.source.path.parent / unquote(path_part)).resolve()
            target = self.nodes.get(target_path)
            if target is None:
                if self.loose and exists(target_path, "any"):  # loose files may link to any existing file
                    return None
                return self._report_outside_link(url, target_path, at)
        else:
            target = node
        if not fragment:
            return f"#{target.anchor}"
        found = target.anchors.get(normalize_anchor(fragment))
        if found is None:
            close = difflib.get_close_matches(normalize_anchor(fragment), list(target.anchors), n=1)
            hint = f"¿quiso decir #{close[0]}?" if close else "los anclajes se forman con el texto del encabezado en minúsculas, sin tildes y con guiones"
            self._missing(
                at,
                "enlace.ancla",
                f"el enlace {url} apunta a un encabezado que no existe en {display_path(target.source.path)}",
                hint,
            )
            return BROKEN
        return f"#{found}"

    def _resolve_cite(self, node: _FileNode, el: Element) -> None:
        """`@fig-x` / `@tbl-x` / `@sec-x` become cross-reference links; other citations are left as written."""
        citations = el["c"][0]
        targets: list[str] = []
        for citation in citations:
            key = citation["citationId"]
            wanted = normalize_anchor(key)
            # The file's own anchors first, then any file's: a figure is often cited from another part.
            found = node.anchors.get(wanted) or next((n.anchors[wanted] for n in self.nodes.values() if wanted in n.anchors), None)
            if found is None:
                if not key.startswith(CROSSREF_PREFIXES):
                    return
                known = [a for n in self.nodes.values() for a in n.anchors if a.startswith(CROSSREF_PREFIXES)]
                close = difflib.get_close_matches(wanted, known, n=1)
                self.problems.error(
                    node.source.location(node.source.find_line(f"@{key}")),
                    f"referencia a una figura, tabla o sección que no existe: @{key}",
                    "referencia.rota",
                    f"¿quiso decir @{close[0]}?" if close else "ponga {#" + key + "} tras la leyenda de la figura o tabla",
                )
                return
            targets.append(found)
        links: list[Element] = []
        for i, target in enumerate(targets):
            if i:
                links += [{"t": "Str", "c": ";"}, {"t": "Space"}]
            # Empty text: the numbering stage writes "Figura 3" (and the PDF adds the page).
            links.append({"t": "Link", "c": [["", ["ref"], []], [], [f"#{target}", ""]]})
        el["t"], el["c"] = "Span", [["", ["refs"], []], links]

    def _report_outside_link(self, url: str, target_path: Path, at: Location) -> str | None:
        if target_path in self.failed:
            return BROKEN
        if not exists(target_path, "any"):
            close = suggest_file(target_path)
            self._missing(
                at,
                "enlace.roto",
                f"enlace roto: no existe {display_path(target_path)}",
                f"¿quiso decir «{close}»?" if close else "las rutas se leen relativas al archivo que contiene el enlace",
            )
            return BROKEN
        if target_path.suffix.lower() == ".md":
            self._missing(
                at,
                "enlace.fuera",
                f"el enlace {url} apunta a un archivo Markdown que no forma parte del documento",
                "añádalo a la lista de partes del maestro, o enlace a una parte incluida",
            )
            return BROKEN
        self.problems.warning(
            at,
            f"enlace a un archivo local ({url}); no funcionará fuera de este equipo",
            "enlace.local",
            "publique el archivo y enlace su dirección, o inclúyalo como anexo",
        )
        return None

    def _check_attributes(self, node: _FileNode, attr: list) -> None:
        """`<span style="…url(…)">` becomes a Span with a style attribute: that would load a file in the PDF."""
        kept = []
        for key, value in attr[2]:
            if key.lower() in _UNSAFE_ATTRIBUTES or key.lower().startswith("on") or _UNSAFE_HTML.search(value):
                at = node.source.location(node.source.find_line(value) or node.source.find_line(f"{key}="))
                self.problems.error(at, f"atributo no permitido: {key}=\"{value}\"", "fuente.html",
                                    "el aspecto se da en plantillas/estilo.css, no en la fuente; quite el atributo")
            else:
                kept.append([key, value])
        attr[2] = kept

    def _check_raw(self, node: _FileNode, el: Element) -> None:
        """Raw HTML is kept only as harmless inline markup; raw OpenXML, LaTeX and the like never reach a writer."""
        fmt, text = el["c"]
        if fmt == "html" and el["t"] == "RawInline" and re.fullmatch(r"<br\s*/?>", text.strip(), re.IGNORECASE):
            el["t"], el["c"] = "LineBreak", None  # a line break every writer knows (in a table cell, above all)
            el.pop("c")
            return
        at = node.source.location(node.source.find_line(text.strip().splitlines()[0] if text.strip() else text))
        if fmt in ("tex", "latex") and text.strip() in PAGE_BREAKS and el["t"] == "RawBlock":
            el["t"], el["c"] = "Div", [["", [PAGE_BREAK_CLASS], []], []]  # a page break every output honours
            return
        if fmt in ("tex", "latex") and self.draft:  # a web page's stray backslash command: kept as text
            self.problems.warning(at, f"orden de LaTeX que Imprenta no interpreta: {text.strip()[:40]}",
                                  "fuente.bruto", "se publica como texto; quítela o escríbala en Markdown")
            el["t"], el["c"] = ("Para" if el["t"] == "RawBlock" else "Str"), (text_inlines(text) if el["t"] == "RawBlock" else text)
            return
        if fmt != "html":
            self.problems.error(at, f"bloque en bruto de formato {fmt} no permitido", "fuente.bruto",
                                "escriba el contenido en Markdown; Imprenta no pasa código de otros formatos a las salidas")
            el["c"] = ["html", ""]
        elif match := _UNSAFE_HTML.search(text):
            self.problems.error(at, f"HTML no permitido: «{match.group(0).strip()}» puede cargar o ejecutar contenido",
                                "fuente.html",
                                "use Markdown para imágenes y enlaces; se admite el HTML que da forma al texto "
                                "(tablas, <br>, <sup>...), no el que carga o ejecuta algo")
            el["c"] = ["html", ""]

    def _resolve_image(self, node: _FileNode, el: Element, at: Location) -> None:
        url = el["c"][2][0]
        alt = stringify(el["c"][1])
        if not alt:  # said even when the file is missing: both need fixing; an official edition needs it
            report = self.problems.warning if self.draft or self.loose else self.problems.error
            report(
                at,
                f"la imagen {url} no tiene texto alternativo: un lector de pantalla no podrá describirla",
                "imagen.sin-alt",
                "escriba una descripción entre los corchetes: ![Descripción de la imagen](ruta)",
            )
        if URL_SCHEME.match(url):
            self.problems.error(
                at,
                f"imagen externa no permitida: {url}",
                "imagen.remota",
                "guarde la imagen en imagenes/ y enlácela con una ruta relativa; un documento oficial no se descarga nada",
            )
            return
        path = (node.source.path.parent / unquote(url)).resolve()
        root = self.root
        if root is not None and not path.is_relative_to(root):
            self.problems.error(
                at,
                f"imagen fuera del proyecto: {url}",
                "imagen.fuera",
                f"copie la imagen en {display_path(root / 'imagenes')}/ y enlácela desde allí; "
                "un documento oficial no lee archivos de fuera del proyecto",
            )
            return
        if not exists(path):
            close = suggest_file(path)
            self._missing(
                at,
                "imagen.falta",
                f"imagen no encontrada: {url}",
                f"¿quiso decir «{close}»?" if close else f"la ruta se lee relativa a {display_path(node.source.path.parent)}/",
            )
            # A draft shows a framed note with the missing path where the image would be.
            el["t"], el["c"] = "Span", [["", ["falta"], []], text_inlines(f"[Imagen no encontrada: {url}]")]
            return
        if path.suffix.lower() in (".drawio", ".dio"):
            self.problems.warning(at, f"diagrama de draw.io: Imprenta no lo dibuja: {url}", "dialecto.drawio",
                                  "expórtelo desde draw.io como SVG (Archivo › Exportar como › SVG) y enlace el SVG")
            el["t"], el["c"] = "Span", [["", ["falta"], []], text_inlines(f"[Diagrama draw.io no dibujado: {url}]")]
            return
        ref = ImageRef(index=len(self.images), path=path, location=at, alt=alt)
        self.images.append(ref)
        el["c"][2][0] = f"{IMAGE_PLACEHOLDER}{ref.index}"

    # -- stage 4: one list of blocks ------------------------------------------------------------------
    def splice(self, node: _FileNode) -> Blocks:
        master_dir = self.master_dir or node.source.path.parent
        out: Blocks = []
        for index, block in enumerate(node.blocks):
            if index not in node.parts:
                out.append(block)
                continue
            for child in node.parts[index]:
                try:
                    shown = child.source.path.relative_to(master_dir).as_posix()
                except ValueError:
                    shown = display_path(child.source.path)
                attr = [child.anchor, ["grupo" if child.group else "parte"], [["fuente", shown]]]
                out.append({"t": "Div", "c": [attr, self.splice(child)]})
        return out


def explicit_parts(project: Project) -> SourceFile | None:
    """metadatos.toml's `partes`, when given, as a list of parts written in that file (paths relative to it)."""
    meta = project.meta
    if not meta.partes or meta.source is None:
        return None
    lines = [f"- [{Path(p).stem}]({quote(p, safe='/._-~#')})" for p in meta.partes]
    return SourceFile(meta.source, "\n".join(lines) + "\n", line_map=[meta.partes_linea] * (len(lines) + 1))


def _draft(project: Project) -> bool:
    """A draft tolerates what an official edition refuses (--estricto turns those warnings into errors anyway)."""
    return project.meta.estado == "borrador" and not project.config.strict


def assemble(project: Project, problems: Problems) -> Document:
    """Read the master and every part it lists, and return one Document; stops after collecting all problems."""
    assembler = _Assembler(problems, project.config.cache_dir, project.config.master.parent, draft=_draft(project),
                           root=project.root)
    master = project.master
    if not master.text.strip():
        problems.error(master.location(1), "el documento maestro está vacío", "fuente.vacia")
        problems.stop_if_errors()
    root = assembler.run([master], explicit_parts(project))[0]
    problems.stop_if_errors()
    return Document(
        meta=project.meta,
        master=master,
        sources=assembler.sources,
        blocks=assembler.splice(root),
        headings=assembler.headings,
        images=assembler.images,
        api_version=assembler.api_version,
        listed=assembler.listed(),
        content_dir=project.content_dir,
    )


def check_document(project: Project, problems: Problems) -> tuple[list[SourceFile], set[Path]]:
    """What `revisar` checks of a document: every problem assembly finds, without stopping at the first stage.
    Returns the sources that could be read and every path the lists of parts name (read or not)."""
    assembler = _Assembler(problems, project.config.cache_dir, project.config.master.parent, draft=_draft(project),
                           root=project.root)
    assembler.run([project.master], explicit_parts(project))
    return assembler.sources, assembler.listed()


def check_files(sources: list[SourceFile], problems: Problems, cache_dir: Path) -> None:
    """Links, anchors, images and raw HTML of Markdown files that belong to no document, checked as the
    build checks a document's (each file on its own; links between them are followed)."""
    _Assembler(problems, cache_dir, None, loose=True).run(sources)


def read_document(config: Config, problems: Problems) -> Document:
    """The sources as one numbered Document: what every command that reads a document starts from."""
    project = load_project(config, problems)
    doc = assemble(project, problems)  # every part parsed once; anchors and links resolved across parts
    return number_floats(doc)  # after assembly: numbers run across parts, in document order


def read_part(config: Config, path: Path, anchor: str, problems: Problems) -> Document:
    """One part alone, as the document's part Div (`anchor`, its file as `fuente`): what the preview of --vigilar
    shows while the whole build runs. Read as a loose file: links to other files are left as written (the preview
    points them at their pages), the parts it would list are not read, and its figures are numbered from 1."""
    project = load_project(config, problems)
    source = read_source(path, problems, project.master.location(1))
    problems.stop_if_errors()
    assert source is not None  # read_source reports every reason it gives none
    assembler = _Assembler(problems, config.cache_dir, config.master.parent, loose=True, draft=True,
                           root=project.root)
    node = assembler.run([source])[0]
    problems.stop_if_errors()
    shown = path.resolve().relative_to(config.master.parent.resolve()).as_posix()
    blocks = [{"t": "Div", "c": [[anchor, ["parte"], [["fuente", shown]]], assembler.splice(node)]}]
    doc = Document(meta=project.meta, master=project.master, sources=assembler.sources, blocks=blocks,
                   headings=assembler.headings, images=assembler.images, api_version=assembler.api_version,
                   content_dir=project.content_dir)
    return number_floats(doc)
