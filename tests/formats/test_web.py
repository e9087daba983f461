"""The web edition in a real browser: Debian's Chromium driven by Playwright (no browser download), axe-core on
every page, the keyboard, the search box, no request leaving the site, and pages as a person sees them."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from conftest import PROJECTS, REPO, Project, rebuild

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
APPROVED = REPO / "tests/aprobadas"
SIZES = {"escritorio": {"width": 1280, "height": 900}, "telefono": {"width": 390, "height": 844}}

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="falta Chromium: bash probar.sh instala el paquete chromium")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def _serve(folder: Path) -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def plan_site(tmp_path_factory: pytest.TempPathFactory, shared_cache: Path) -> Iterator[tuple[Path, str]]:
    """The plan's web edition (with the PDF and DOCX beside it, as published), served on loopback."""
    root = tmp_path_factory.mktemp("web")
    for folder in ("fuente", "imagenes", "plantillas"):
        shutil.copytree(REPO / folder, root / folder)
    project = Project(root, root / "fuente/plan.md", shared_cache)
    rebuild(project)
    rebuild(project, "html")
    yield from ((project.salida / "plan-web", url) for url in _serve(project.salida / "plan-web"))


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


def _open(browser: object, url: str, size: str = "escritorio") -> tuple[object, list[str]]:
    page = browser.new_page(viewport=SIZES[size])  # type: ignore[attr-defined]
    outside: list[str] = []
    origin = url.split("/", 3)[:3]
    page.on("request", lambda r: outside.append(r.url) if r.url.split("/", 3)[:3] != origin else None)
    page.goto(url, wait_until="networkidle")
    return page, outside


def test_every_page_passes_axe_and_requests_nothing_outside(plan_site: tuple[Path, str], browser: object) -> None:
    from axe_playwright_python.sync_playwright import Axe

    folder, url = plan_site
    pages = sorted(p.name for p in folder.glob("*.html"))
    assert pages == ["index.html", "parte-antecedentes.html", "parte-contexto.html"]
    axe = Axe()
    for name in pages:
        page, outside = _open(browser, f"{url}/{name}")
        violations = axe.run(page).response["violations"]
        serious = [(v["id"], v["impact"], len(v["nodes"])) for v in violations if v["impact"] in ("serious", "critical")]
        assert serious == [], (name, serious)
        assert outside == [], (name, outside)
        assert page.evaluate("document.documentElement.lang") == "es-BO"
        page.close()


def test_the_structure_a_reader_needs(plan_site: tuple[Path, str]) -> None:
    folder, _ = plan_site
    context = (folder / "parte-contexto.html").read_text(encoding="utf-8")
    assert 'http-equiv="Content-Security-Policy"' in context and "default-src 'self'" in context
    assert '<a class="saltar" href="#contenido">Saltar al contenido</a>' in context
    assert '<main id="contenido"' in context and '<nav class="indice" aria-label="Contenido">' in context
    assert 'rel="prev" href="index.html"' in context and 'rel="next" href="parte-antecedentes.html"' in context
    # Footnotes link both ways; a cross-reference reaches a figure on another page.
    assert re.search(r'href="#fn1"[^>]*id="fnref1"|id="fnref1"[^>]*href="#fn1"', context)
    assert 'href="#fnref1"' in context
    figure_page = next(p for p in folder.glob("*.html") if 'id="fig-linea-de-tiempo"' in p.read_text(encoding="utf-8"))
    linking = [p for p in folder.glob("*.html") if "fig-linea-de-tiempo" in p.read_text(encoding="utf-8") and p != figure_page]
    for page in linking:
        assert f'href="{figure_page.name}#fig-linea-de-tiempo"' in page.read_text(encoding="utf-8"), page.name
    assert "Figura" in figure_page.read_text(encoding="utf-8")
    index = (folder / "index.html").read_text(encoding="utf-8")
    for download in ("../plan.pdf", "../plan.docx"):
        assert f'href="{download}" download' in index
    assert "Versión 0.1" in index and "revisión de las fuentes" in index


def test_the_keyboard_reaches_the_skip_link_the_contents_and_the_search(plan_site: tuple[Path, str],
                                                                         browser: object) -> None:
    _, url = plan_site
    page, _ = _open(browser, f"{url}/parte-contexto.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Saltar al contenido"
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#contenido"
    assert page.evaluate("document.activeElement.id") == "contenido"
    # From the top again: the brand, the search box, then the contents.
    page.goto(f"{url}/parte-contexto.html", wait_until="networkidle")
    focused = []
    for _ in range(6):
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.tagName + ' ' + (document.activeElement.textContent || "
                                     "document.activeElement.placeholder || '').trim().slice(0, 40)"))
    assert any(f.startswith("INPUT") for f in focused), focused
    assert any(f == "A Contexto" for f in focused), focused
    search = page.locator("#buscar input")
    search.fill("Túpac Katari")
    page.wait_for_selector(".pagefind-ui__result-link", timeout=10_000)
    results = page.locator(".pagefind-ui__result-link").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any("parte-contexto" in r for r in results), results
    page.close()


@pytest.mark.parametrize("size", list(SIZES))
def test_pages_look_as_approved(plan_site: tuple[Path, str], browser: object, size: str, tmp_path: Path,
                                request: pytest.FixtureRequest) -> None:
    _, url = plan_site
    page, _ = _open(browser, f"{url}/parte-contexto.html", size)
    shot = tmp_path / f"web-{size}.png"
    page.screenshot(path=str(shot))
    page.close()
    approved = APPROVED / f"web-{size}.png"
    if request.config.getoption("--regenerar-aprobadas"):
        shutil.copyfile(shot, approved)
    current, reference = Image.open(shot).convert("L"), Image.open(approved).convert("L")
    assert current.size == reference.size
    difference = ImageChops.difference(current, reference).point(lambda v: 255 if v > 48 else 0)
    changed = sum(difference.histogram()[255:]) / (current.size[0] * current.size[1])
    assert changed < 0.01, f"la página web cambió en el {changed:.1%} de sus píxeles: {shot}"


def test_a_document_written_elsewhere_has_its_web_edition(tmp_path: Path, shared_cache: Path, browser: object) -> None:
    from axe_playwright_python.sync_playwright import Axe

    shutil.copytree(PROJECTS / "dialecto", tmp_path / "sitio")
    shutil.copytree(REPO / "plantillas", tmp_path / "plantillas")
    project = Project(tmp_path, tmp_path / "sitio/mkdocs.yml", shared_cache)
    rebuild(project, "html")
    folder = project.salida / "mkdocs-web"
    pages = sorted(p.name for p in folder.glob("*.html"))
    # The cover and contents, then each page of the nav (the group title opens the first page under it).
    assert pages == ["index.html", "parte-constructos.html", "parte-index.html", "parte-sin-titulo.html",
                     "parte-tabla.html"]
    main = (folder / "parte-constructos.html").read_text(encoding="utf-8").split('<main id="contenido"')[1]
    assert main.index('<h1 class="grupo">Guía</h1>') < main.index('<h2>Construcciones del dialecto</h2>')
    for url in _serve(folder):
        for name in pages:
            page, outside = _open(browser, f"{url}/{name}")
            violations = Axe().run(page).response["violations"]
            assert [v["id"] for v in violations if v["impact"] in ("serious", "critical")] == [], name
            assert outside == []
            page.close()
