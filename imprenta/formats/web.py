"""The web edition: a static site from the same document, accessible first (the PDF and the editables are its
downloads), in the state's identity, searchable with no server, and making no request outside itself.

One page per part (a group title opens the page of the part that follows it), the master's own text and the
contents on index.html. Each page is written by pandoc from its blocks, so footnotes link both ways; links
between parts are rewritten to the page that holds their target. Pagefind indexes the finished pages and gives
the search box. plantillas/web.css is the look; the page skeleton is here, with its landmarks, skip link and
Content-Security-Policy.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..document import Document, content_name
from ..errors import Problems
from ..identity import Identity
from ..pandocast import Element, dumps, stringify, walk
from ..tools import run_pandoc, run_tool

STYLE = "web.css"
FONTS = ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf", "LiberationSans-Italic.ttf",
         "LiberationSans-BoldItalic.ttf")
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'none'")
SEARCH_SCRIPT = """window.addEventListener("DOMContentLoaded", function () {
  new PagefindUI({ element: "#buscar", showImages: false, resetStyles: false,
    translations: { placeholder: "Buscar en el documento", zero_results: "Nada encontrado para [SEARCH_TERM]",
                    clear_search: "Borrar", load_more: "Más resultados" } });
  // The box Pagefind draws has only a placeholder: a screen reader needs it named.
  var named = function () {
    var box = document.querySelector("#buscar input");
    if (box) { box.setAttribute("aria-label", "Buscar en el documento"); } else { setTimeout(named, 50); }
  };
  named();
});
"""


@dataclass
class Page:
    """One page of the site: its file, title, blocks, and the headings its navigation lists."""

    file: str
    title: str
    blocks: list[Element]
    headings: list[tuple[int, str, str]] = field(default_factory=list)  # (level, text, anchor)


def _pages(doc: Document) -> list[Page]:
    """index.html with the master's own blocks, then a page per part; a group title joins the next part's page."""
    index = Page("index.html", doc.meta.titulo, [])
    pages = [index]
    pending: list[Element] = []  # group titles waiting for the part they open
    for block in doc.blocks:
        classes = block["c"][0][1] if block["t"] == "Div" else []
        if "grupo" in classes:
            pending.append(block)
        elif "parte" in classes:
            first = next((b for b in block["c"][1] if b["t"] == "Header"), None)
            title = stringify(first["c"][2]) if first else block["c"][0][0]
            pages.append(Page(f"{block['c'][0][0] or f'parte-{len(pages)}'}.html", title, [*pending, block]))
            pending = []
        else:
            index.blocks.append(block)
    if pending:
        pages[-1].blocks.extend(pending)
    for page in pages:
        walk(page.blocks, lambda el, p=page: p.headings.append(
            (el["c"][0], stringify(el["c"][2]), el["c"][1][0])) if el["t"] == "Header" else None)
    return pages


def _anchors(pages: list[Page]) -> dict[str, str]:
    """The page of every identifier (headings, figures, tables, parts)."""
    where: dict[str, str] = {}
    for page in pages:
        def visit(el: Element, file: str = page.file) -> None:
            attr = el["c"][1] if el["t"] == "Header" else el["c"][0] if el["t"] in ("Div", "Span", "Figure", "Table") else None
            if attr and attr[0]:
                where.setdefault(attr[0], file)
        walk(page.blocks, visit)
    return where


def _skeleton(doc: Document, identity: Identity, page: Page, pages: list[Page], position: int, body: str,
              downloads: list[tuple[str, str]]) -> str:
    e = html.escape
    meta = doc.meta
    nav: list[str] = []
    for other in pages[1:]:
        current = ' aria-current="page"' if other is page else ""
        items = "".join(f'<li><a href="{e(other.file)}#{e(anchor)}">{e(text)}</a></li>'
                        for level, text, anchor in other.headings if level <= 2 and anchor and text != other.title)
        nav.append(f'<li><a href="{e(other.file)}"{current}>{e(other.title)}</a>'
                   + (f"<ul>{items}</ul>" if items and other is page else "") + "</li>")
    previous = pages[position - 1] if position > 0 else None
    following = pages[position + 1] if position + 1 < len(pages) else None
    pager = "".join([
        f'<a rel="prev" href="{e(previous.file)}"><span>Anterior</span> {e(previous.title)}</a>' if previous else "",
        f'<a rel="next" href="{e(following.file)}"><span>Siguiente</span> {e(following.title)}</a>' if following else "",
    ])
    files = "".join(f'<li><a href="{e(href)}" download>{e(label)}</a></li>' for label, href in downloads)
    title = meta.titulo if page.file == "index.html" else f"{page.title} · {meta.titulo}"
    return f"""<!DOCTYPE html>
<html lang="{e(meta.idioma)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{e(title)}</title>
<meta name="author" content="{e(meta.entidad)}">
<link rel="icon" href="emblema.svg">
<link rel="stylesheet" href="{STYLE}">
<link rel="stylesheet" href="pagefind/pagefind-ui.css">
</head>
<body>
<a class="saltar" href="#contenido">Saltar al contenido</a>
<header class="cabecera">
  <a class="marca" href="index.html"><img src="emblema.svg" alt="" width="48" height="48">
  <span><span class="entidad">{e(meta.entidad)}</span><span class="titulo">{e(meta.titulo)}</span></span></a>
  <div id="buscar" role="search" aria-label="Buscar en el documento"></div>
</header>
<div class="banda" aria-hidden="true"><span></span><span></span><span></span></div>
<div class="cuerpo">
<nav class="indice" aria-label="Contenido"><h2>Contenido</h2><ol>{''.join(nav)}</ol></nav>
<main id="contenido" tabindex="-1" data-pagefind-body>
{body}
<nav class="paginas" aria-label="Páginas anterior y siguiente">{pager}</nav>
</main>
</div>
<footer class="pie">
  <p>Versión {e(meta.version)} · {e(meta.fecha_texto)} · {e(meta.estado)} · revisión de las fuentes {e(identity.revision)}</p>
  {f'<ul class="descargas" aria-label="Descargas">{files}</ul>' if files else ''}
</footer>
<script src="pagefind/pagefind-ui.js"></script>
<script src="buscar.js"></script>
</body>
</html>
"""


def page_body(blocks: list[Element], api_version: list[int], file: str, where: Mapping[str, str]) -> str:
    """The HTML of one page's content: links to anchors on other pages point there, images at img/."""

    def relink(el: Element) -> None:
        if el["t"] == "Link" and el["c"][2][0].startswith("#"):
            anchor = el["c"][2][0][1:]
            target = where.get(anchor)
            if target and target != file:
                el["c"][2][0] = target if target.removesuffix(".html") == anchor else f"{target}#{anchor}"
        elif el["t"] == "Image" and not el["c"][2][0].startswith(("img/", "data:")):
            el["c"][2][0] = f"img/{el['c'][2][0]}"

    walk(blocks, relink)
    fragment = {"pandoc-api-version": api_version, "meta": {}, "blocks": blocks}
    body = run_pandoc(["--sandbox", "--from", "json", "--to", "html5", "--wrap=none", "--section-divs"],
                      input_bytes=dumps(fragment), what=f"pandoc (página {file})").stdout.decode("utf-8")
    # A wide table scrolls sideways on a phone: the keyboard must reach it too (axe: scrollable-region-focusable).
    return body.replace("<table>", '<table tabindex="0">').replace("<table ", '<table tabindex="0" ')


def _cover(doc: Document) -> list[Element]:
    """index.html opens with what the PDF's cover says, as a heading and a paragraph."""
    meta = doc.meta
    lines = [meta.subtitulo, f"Versión {meta.version} · {meta.fecha_texto} · {meta.estado}",
             f"Base legal: {meta.base_legal}" if meta.base_legal else ""]
    return [{"t": "Header", "c": [1, ["inicio-documento", [], []], [{"t": "Str", "c": meta.titulo}]]},
            *({"t": "Para", "c": [{"t": "Str", "c": line}]} for line in lines if line)]


class WebFormat:
    """The accessible web edition: salida/<nombre>-web/, a folder."""

    name = "html"
    suffix = "-web"
    accepts = frozenset({"png", "jpeg", "gif", "svg"})
    needs: tuple[str, ...] = ()
    templates = ("web.css", "emblema.svg")

    def render(
        self, doc: Document, identity: Identity, config: Config, dest: Path, problems: Problems,
        inputs: Mapping[str, Path],
    ) -> dict[str, object]:
        dest.mkdir(parents=True)
        (dest / "img").mkdir()
        ast = doc.ast_for("html")
        site = Document(meta=doc.meta, master=doc.master, sources=doc.sources, blocks=ast["blocks"],
                        headings=doc.headings, images=doc.images, api_version=doc.api_version, floats=doc.floats)
        pages = _pages(site)
        pages[0].blocks[:0] = _cover(doc)
        pages[0].headings.insert(0, (1, doc.meta.titulo, "inicio-documento"))
        where = _anchors(pages)
        for image in doc.images:
            if "html" in image.variants:
                variant = image.variants["html"].path
                shutil.copyfile(variant, dest / "img" / content_name(variant))
        downloads = [(f"{label} ({fmt.upper()})", f"../{doc.name}.{fmt}")
                     for fmt, label in (("pdf", "Edición oficial"), ("docx", "Copia editable"), ("odt", "OpenDocument"))
                     if fmt in config.formats or (config.output_dir / f"{doc.name}.{fmt}").exists()]
        for position, page in enumerate(pages):
            body = page_body(page.blocks, doc.api_version, page.file, where)
            (dest / page.file).write_text(_skeleton(doc, identity, page, pages, position, body, downloads),
                                          encoding="utf-8")
        self._assets(config, dest, pages, where)
        return {"páginas": len(pages)}

    @staticmethod
    def _assets(config: Config, dest: Path, pages: list[Page], where: dict[str, str]) -> None:
        """The style sheet, emblem and fonts, then the search index and its interface (no CDN, nothing remote)."""
        shutil.copyfile(config.templates_dir / STYLE, dest / STYLE)
        shutil.copyfile(config.templates_dir / "emblema.svg", dest / "emblema.svg")
        (dest / "fuentes").mkdir()
        for font in FONTS:
            shutil.copyfile(config.templates_dir / "fuentes" / font, dest / "fuentes" / font)
        (dest / "buscar.js").write_text(SEARCH_SCRIPT, encoding="utf-8")
        run_tool([sys.executable, "-m", "pagefind", "--site", str(dest), "--quiet"], what="Pagefind (índice de búsqueda)",
                 timeout=300)
        # What the preview of --vigilar needs to rewrite one page from its part alone (see preview.py): the page of
        # each part file, whether that part is all the page holds (no group title, no part listed inside it: the
        # preview reads the part's own file and nothing more), and the page of every anchor.
        parts: dict[str, dict[str, object]] = {}
        for page in pages[1:]:
            inside: list[Element] = []
            walk(page.blocks, lambda el, found=inside: found.append(el)
                 if el["t"] == "Div" and "parte" in el["c"][0][1] else None)
            for part in inside:
                parts[dict(part["c"][0][2]).get("fuente", "")] = {
                    "pagina": page.file, "ancla": part["c"][0][0], "sola": len(page.blocks) == 1 and len(inside) == 1}
        manifest = {"paginas": sorted(p.name for p in dest.glob("*.html")), "partes": parts, "anclas": where}
        (dest / "sitio.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")

