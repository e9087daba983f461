"""Parts -> one Document: the master's list of links becomes the parts, anchors become unique, links internal."""

from __future__ import annotations

import difflib
import os
import re
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ..config import Config
from ..document import IMAGE_PLACEHOLDER, Document, Heading, ImageRef, SourceFile
from ..errors import Location, Problems, display_path
from ..pandocast import Blocks, Element, parse_markdown, stringify, walk
from .anchors import URL_SCHEME, normalize_anchor, slug
from .numbering import number_floats
from .project import Project, exists, load_project, read_source, suggest_file

# Raw HTML passes through to the PDF only as inline formatting: anything that loads, runs or styles is refused.
# Where each element keeps its attributes (identifier, classes, key-value pairs).
_ATTR_AT = {"Span": 0, "Div": 0, "Link": 0, "Image": 0, "Code": 0, "CodeBlock": 0, "Header": 1, "Table": 0, "Figure": 0}
_UNSAFE_HTML = re.compile(
    r"<\s*(script|iframe|object|embed|link|style|img|svg|image|base|meta|form|input|video|audio|source|frame)\b"
    r"|\b(src|href|srcset|poster|data|action|formaction|background|style|on\w+)\s*="
    r"|url\s*\(|@import",
    re.IGNORECASE,
)
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


def _part_links(block: Element) -> list[str] | None:
    """The link targets of a list made only of links to Markdown files (the list of parts), else None."""
    if block["t"] == "BulletList":
        items = block["c"]
    elif block["t"] == "OrderedList":
        items = block["c"][1]
    else:
        return None
    targets: list[str] = []
    for item in items:
        if len(item) != 1 or item[0]["t"] not in ("Plain", "Para"):
            return None
        inlines = [i for i in item[0]["c"] if i["t"] not in ("Space", "SoftBreak")]
        if len(inlines) != 1 or inlines[0]["t"] != "Link":
            return None
        url = inlines[0]["c"][2][0]
        path = url.split("#", 1)[0]
        if URL_SCHEME.match(url) or not path.lower().endswith(".md"):
            return None
        targets.append(url)
    return targets or None


class _Assembler:
    """Builds one Document from the master and its parts, reporting every problem it meets.

    With loose=True it checks Markdown files that belong to no document (`revisar carpeta/`): each file is a
    root of its own, lists of links are not parts, and links between the files are checked all the same.
    """

    def __init__(self, problems: Problems, cache_dir: Path, master_dir: Path | None, loose: bool = False) -> None:
        self.problems = problems
        self.cache_dir = cache_dir
        self.master_dir = master_dir
        # Images must stay inside the project: the folder that holds fuente/ (no bound for loose files).
        self.root = master_dir.parent.resolve() if master_dir is not None else None
        self.loose = loose
        self.included: dict[Path, Location] = {}
        self.failed: set[Path] = set()  # parts already reported as unusable: links to them say nothing more
        self.nodes: dict[Path, _FileNode] = {}
        self.sources: list[SourceFile] = []
        self.api_version: list[int] = [1, 23, 1, 1]
        self.images: list[ImageRef] = []
        self.headings: list[Heading] = []
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="pandoc")
        self.prefetched: dict[tuple[Path, str], Future[dict[str, Any]]] = {}

    def run(self, roots: list[SourceFile]) -> list[_FileNode]:
        """Parse every file (the parts each lists, unless loose), give anchors, resolve links and images."""
        nodes = []
        with self.pool:
            for source in roots[1:]:  # several roots (loose files): parsed side by side, like the parts
                self.prefetched[(source.path, source.text)] = self.pool.submit(
                    parse_markdown, source.text, display_path(source.path), self.cache_dir)
            for source in roots:
                self.included[source.path] = source.location(1)
                nodes.append(self.collect(source, [source.path], source.location(1)))
        for node in nodes:
            self.assign_anchors(node)
        for root in nodes:
            for node in self._document_order(root):
                self.resolve_references(node)
        return nodes

    # -- stage 1: read and parse every file of the inclusion tree -------------------------------------
    def _parse(self, source: SourceFile) -> dict[str, Any]:
        future = self.prefetched.pop((source.path, source.text), None)
        return future.result() if future is not None else parse_markdown(
            source.text, display_path(source.path), self.cache_dir)

    def _prefetch(self, source: SourceFile, blocks: Blocks) -> None:
        """Start parsing the parts a file lists, side by side, before they are included one by one."""
        for block in blocks:
            for url in _part_links(block) or ():
                target = (source.path.parent / unquote(url.split("#", 1)[0])).resolve()
                if target in self.included or target in self.nodes or not exists(target):
                    continue  # the inclusion itself reports what is wrong with it
                part = read_source(target, Problems(), Location(target, 1))
                if part is not None and part.text.strip() and (part.path, part.text) not in self.prefetched:
                    self.prefetched[(part.path, part.text)] = self.pool.submit(
                        parse_markdown, part.text, display_path(part.path), self.cache_dir)

    def collect(self, source: SourceFile, chain: list[Path], listed_at: Location) -> _FileNode:
        ast = self._parse(source)
        self.api_version = ast["pandoc-api-version"]
        node = _FileNode(source=source, blocks=ast["blocks"], listed_at=listed_at)
        self.nodes[source.path] = node
        self.sources.append(source)
        if self.loose:
            return node
        self._prefetch(source, node.blocks)
        seen: dict[str, int] = {}
        for index, block in enumerate(node.blocks):
            targets = _part_links(block)
            if targets is None:
                continue
            children: list[_FileNode] = []
            for url in targets:
                occurrence = seen.get(url, 0)
                seen[url] = occurrence + 1
                at = source.location(source.find_reference(url, occurrence))
                child = self._include(source, url, chain, at)
                if child is not None:
                    children.append(child)
            node.parts[index] = children
        return node

    def _include(self, parent: SourceFile, url: str, chain: list[Path], at: Location) -> _FileNode | None:
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
        return self.collect(source, [*chain, target], at)

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
                node.anchor = unique(f"parte-{stem}", "doc")
            headers: list[Element] = []
            walk(node.blocks, lambda el, found=headers: found.append(el) if el["t"] == "Header" else None)
            lines = node.source.heading_lines()
            for position, header in enumerate(headers):
                level, attr, inlines = header["c"]
                text = stringify(inlines)
                local = attr[0] or "seccion"
                global_id = unique(local, stem)
                node.anchors.setdefault(normalize_anchor(local), global_id)
                attr[0] = global_id
                line = lines[position] if len(lines) == len(headers) else node.source.find_line(text)
                self.headings.append(Heading(global_id, level, text, node.source.location(line)))
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
                if resolved is not None:
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

    def _resolve_link(self, node: _FileNode, url: str, at: Location) -> str | None:
        if URL_SCHEME.match(url) or not url:
            return None
        path_part, _, fragment = url.partition("#")
        if path_part:
            target_path = (node.source.path.parent / unquote(path_part)).resolve()
            target = self.nodes.get(target_path)
            if target is None:
                if not (self.loose and exists(target_path, "any")):  # loose files may link to any existing file
                    self._report_outside_link(url, target_path, at)
                return None
        else:
            target = node
        if not fragment:
            return f"#{target.anchor}"
        found = target.anchors.get(normalize_anchor(fragment))
        if found is None:
            close = difflib.get_close_matches(normalize_anchor(fragment), list(target.anchors), n=1)
            hint = f"¿quiso decir #{close[0]}?" if close else "los anclajes se forman con el texto del encabezado en minúsculas, sin tildes y con guiones"
            self.problems.error(
                at,
                f"el enlace {url} apunta a un encabezado que no existe en {display_path(target.source.path)}",
                "enlace.ancla",
                hint,
            )
            return None
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

    def _report_outside_link(self, url: str, target_path: Path, at: Location) -> None:
        if target_path in self.failed:
            return
        if not exists(target_path, "any"):
            close = suggest_file(target_path)
            self.problems.error(
                at,
                f"enlace roto: no existe {display_path(target_path)}",
                "enlace.roto",
                f"¿quiso decir «{close}»?" if close else "las rutas se leen relativas al archivo que contiene el enlace",
            )
        elif target_path.suffix.lower() == ".md":
            self.problems.error(
                at,
                f"el enlace {url} apunta a un archivo Markdown que no forma parte del documento",
                "enlace.fuera",
                "añádalo a la lista de partes del maestro, o enlace a una parte incluida",
            )
        else:
            self.problems.warning(
                at,
                f"enlace a un archivo local ({url}); no funcionará fuera de este equipo",
                "enlace.local",
                "publique el archivo y enlace su dirección, o inclúyalo como anexo",
            )

    def _check_attributes(self, node: _FileNode, attr: list) -> None:
        """`<span style="…url(…)">` becomes a Span with a style attribute: that would load a file in the PDF."""
        kept = []
        for key, value in attr[2]:
            if key.lower() in ("style", "src", "href", "background") or _UNSAFE_HTML.search(value):
                at = node.source.location(node.source.find_line(value) or node.source.find_line(f"{key}="))
                self.problems.error(at, f"atributo no permitido: {key}=\"{value}\"", "fuente.html",
                                    "el aspecto se da en plantillas/estilo.css, no en la fuente; quite el atributo")
            else:
                kept.append([key, value])
        attr[2] = kept

    def _check_raw(self, node: _FileNode, el: Element) -> None:
        """Raw HTML is kept only as harmless inline markup; raw OpenXML, LaTeX and the like never reach a writer."""
        fmt, text = el["c"]
        at = node.source.location(node.source.find_line(text.strip().splitlines()[0] if text.strip() else text))
        if fmt != "html":
            self.problems.error(at, f"bloque en bruto de formato {fmt} no permitido", "fuente.bruto",
                                "escriba el contenido en Markdown; Imprenta no pasa código de otros formatos a las salidas")
            el["c"] = ["html", ""]
        elif match := _UNSAFE_HTML.search(text):
            self.problems.error(at, f"HTML no permitido: «{match.group(0).strip()}» puede cargar o ejecutar contenido",
                                "fuente.html",
                                "use Markdown para imágenes y enlaces; el HTML solo se admite para formato en línea (<sup>, <br>...)")
            el["c"] = ["html", ""]

    def _resolve_image(self, node: _FileNode, el: Element, at: Location) -> None:
        url = el["c"][2][0]
        alt = stringify(el["c"][1])
        if not alt:  # said even when the file is missing: both need fixing
            self.problems.warning(
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
            self.problems.error(
                at,
                f"imagen no encontrada: {url}",
                "imagen.falta",
                f"¿quiso decir «{close}»?" if close else f"la ruta se lee relativa a {display_path(node.source.path.parent)}/",
            )
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
                attr = [child.anchor, ["parte"], [["fuente", shown]]]
                out.append({"t": "Div", "c": [attr, self.splice(child)]})
        return out


def assemble(project: Project, problems: Problems) -> Document:
    """Read the master and every part it lists, and return one Document; stops after collecting all problems."""
    assembler = _Assembler(problems, project.config.cache_dir, project.config.master.parent)
    master = project.master
    if not master.text.strip():
        problems.error(master.location(1), "el documento maestro está vacío", "fuente.vacia")
        problems.stop_if_errors()
    root = assembler.run([master])[0]
    problems.stop_if_errors()
    return Document(
        meta=project.meta,
        master=master,
        sources=assembler.sources,
        blocks=assembler.splice(root),
        headings=assembler.headings,
        images=assembler.images,
        api_version=assembler.api_version,
    )


def check_document(project: Project, problems: Problems) -> tuple[list[SourceFile], set[Path]]:
    """What `revisar` checks of a document: every problem assembly finds, without stopping at the first stage.
    Returns the sources that could be read and every path the lists of parts name (read or not)."""
    assembler = _Assembler(problems, project.config.cache_dir, project.config.master.parent)
    assembler.run([project.master])
    return assembler.sources, {p.resolve() for p in (*assembler.included, *assembler.failed)}


def check_files(sources: list[SourceFile], problems: Problems, cache_dir: Path) -> None:
    """Links, anchors, images and raw HTML of Markdown files that belong to no document, checked as the
    build checks a document's (each file on its own; links between them are followed)."""
    _Assembler(problems, cache_dir, None, loose=True).run(sources)


def read_document(config: Config, problems: Problems) -> Document:
    """The sources as one numbered Document: what every command that reads a document starts from."""
    project = load_project(config, problems)
    doc = assemble(project, problems)  # every part parsed once; anchors and links resolved across parts
    return number_floats(doc)  # after assembly: numbers run across parts, in document order
