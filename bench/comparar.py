"""Benchmark: Imprenta against the naive pipeline and against one WeasyPrint call with Imprenta's own HTML and
stylesheet, side by side in one run, the compared commands alternated.

    .venv/bin/python bench/comparar.py              documents of 25, 100 and 400 pages, 5 rounds each
    .venv/bin/python bench/comparar.py 100 400      only those sizes
    .venv/bin/python bench/comparar.py --veces 3 100
    .venv/bin/python bench/comparar.py --rapido     a 4-page document, one round: that the benchmark runs

For each size it generates a document (10 parts at 400 pages, headings, lists, tables, footnotes, images), then
runs ROUNDS rounds; in each round, one after the other, alternating which of the first two goes first:
  ingenuo       one pandoc to HTML, one WeasyPrint, one pandoc to DOCX (what a script would do)
  completa      Imprenta, PDF + DOCX, cold cache and empty salida/
  mismo-estilo  one WeasyPrint call on the whole document as Imprenta writes it (its HTML and stylesheet, made
                beforehand, not timed): what the same layout costs without Imprenta's orchestration
  sin-cambios   Imprenta again, nothing changed
  un-parrafo    Imprenta after one paragraph of one part changed (the change is undone after the round)
  quarto        quarto render to DOCX and PDF (Typst), if quarto is on the PATH
Every figure is the median of the rounds. Wall time; CPU time of the whole process tree (each process's own user
and system time, read from /proc every 100 ms and summed: the layout workers, children of a fork server, are
counted); and peak memory, the sum of the proportional set sizes (PSS) of the process tree, read at the same
100 ms samples. Both sides are sampled alike, so the sampling costs them the same.
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SENTENCES = [s.strip() + "." for s in (REPO / "fuente/plan.md").read_text(encoding="utf-8").replace("\n", " ").split(".")
             if len(s.split()) > 6 and not any(c in s for c in "#*[]()!|")]
SECTIONS_PER_PAGE = 0.47  # measured: one generated section fills about 2 A4 pages


@dataclass
class Measure:
    wall: float
    cpu: float
    peak_mb: float
    stages: dict[str, float] | None = None  # peak memory (MB) of each stage of a build, when its log says them


# The build's own progress lines that open each stage (IMPRENTA_PROGRESO=1 adds the layout's), and its name here.
STAGES = [("[1/4]", "lectura"), ("[2/4]", "imágenes"), ("[3/4]", "HTML y DOCX"), ("      maquetando", "maquetación"),
          ("      uniendo", "unión"), ("      terminando", "unión"), ("      comprobando", "comprobación"),
          ("[4/4]", "publicación")]


SAMPLE_SECONDS = 0.1


def _tree(root: int) -> list[int]:
    """A process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError):
            continue
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def _pss(pid: int) -> int:
    """A process's proportional set size (bytes): shared pages split among the processes that map them, so forked
    workers are not counted several times."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
            return next(int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:"))
    except (OSError, IndexError, StopIteration):
        return 0


def _cpu(pid: int) -> float:
    """A process's own user + system time so far (seconds)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def measure(cmd: list[str], cwd: Path) -> Measure:
    """Run a command to completion: its wall time, and the CPU time and peak memory of its process tree; for a
    build, also the peak of each of its stages (samples are put in the stage the build's log last opened)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "IMPRENTA_PROGRESO": "1"})
    peak = 0
    cpu: dict[int, float] = {}
    stage = ""
    stages: dict[str, int] = {}
    err: list[bytes] = []
    done = threading.Event()

    def read() -> None:
        nonlocal stage
        assert process.stderr is not None
        for line in process.stderr:
            err.append(line)
            text = line.decode("utf-8", "replace")
            stage = next((name for start, name in STAGES if text.startswith(start)), stage)

    def sample() -> None:
        nonlocal peak
        while True:  # a first sample at once: a short run is seen at least once
            pids = _tree(process.pid)
            total = sum(_pss(pid) for pid in pids)
            peak = max(peak, total)
            if stage:
                stages[stage] = max(stages.get(stage, 0), total)
            for pid in pids:
                cpu[pid] = max(cpu.get(pid, 0.0), _cpu(pid))
            if done.wait(SAMPLE_SECONDS):
                break

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    process.wait()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    reader.join()
    if process.returncode != 0:
        raise SystemExit(f"falló: {' '.join(cmd)}\n{b''.join(err).decode(errors='replace')[-2000:]}")
    # A run shorter than a sample is seen by no sample: the CPU of the processes it waited for is its floor.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, max(sum(cpu.values()), waited), peak / 1e6, {k: v / 1e6 for k, v in stages.items()} or None)


def median(measures: list[Measure]) -> Measure:
    import statistics

    names = [name for m in measures for name in (m.stages or {})]
    stages = {name: statistics.median((m.stages or {}).get(name, 0.0) for m in measures) for name in dict.fromkeys(names)}
    return Measure(statistics.median(m.wall for m in measures), statistics.median(m.cpu for m in measures),
                   statistics.median(m.peak_mb for m in measures), stages or None)


def generate(root: Path, pages: int, seed: int = 7) -> tuple[Path, list[Path]]:
    """A project with a master listing parts; returns the master and the parts."""
    rng = random.Random(seed)
    fuente, imagenes = root / "fuente", root / "imagenes"
    (fuente / "partes").mkdir(parents=True)
    imagenes.mkdir()
    shutil.copy(REPO / "imagenes/linea_de_tiempo.svg", imagenes)
    from PIL import Image

    for n in range(3):
        Image.new("RGB", (1200, 700), (40 + 60 * n, 120, 90)).save(imagenes / f"foto{n}.png")
    shutil.copy(REPO / "fuente/metadatos.toml", fuente)
    parts_count = max(1, round(pages / 40))
    sections = max(1, round(pages * SECTIONS_PER_PAGE))
    per_part = max(1, sections // parts_count)
    parts = []
    note = 0
    for p in range(parts_count):
        lines = [f"# Parte {p + 1}: {' '.join(rng.choice(SENTENCES).split()[:5])}", ""]
        for s in range(per_part):
            lines += [f"## Sección {p + 1}.{s + 1}", ""]
            for _ in range(3):
                note += 1
                text = " ".join(rng.choice(SENTENCES) for _ in range(5))
                lines += [f"{text}[^n{note}]", "", f"[^n{note}]: {rng.choice(SENTENCES)}", ""]
            if s % 2 == 0:
                lines += [f"- {rng.choice(SENTENCES)}" for _ in range(4)] + [""]
            if s % 3 == 0:
                lines += ["| Nivel | Responsable | Plazo |", "|---|---|---|"]
                lines += [f"| {rng.choice(['central', 'departamental', 'municipal'])} | {' '.join(rng.choice(SENTENCES).split()[:4])} | {2025 + r} |"
                          for r in range(6)] + ["", f": Tabla de la sección {p + 1}.{s + 1}", ""]
            if s % 4 == 1:
                image = rng.choice(["linea_de_tiempo.svg", "foto0.png", "foto1.png", "foto2.png"])
                lines += [f"![Figura de la sección {p + 1}.{s + 1}](../../imagenes/{image})", ""]
        part = fuente / "partes" / f"parte{p + 1:02d}.md"
        part.write_text("\n".join(lines), encoding="utf-8")
        parts.append(part)
    master = fuente / "plan.md"
    master.write_text("# Documento de prueba\n\nIntroducción.\n\n" + "\n".join(f"* [Parte {i + 1}](partes/{p.name})" for i, p in enumerate(parts)) + "\n",
                      encoding="utf-8")
    shutil.copytree(REPO / "plantillas", root / "plantillas")
    return master, parts


def naive_project(root: Path, master: Path, parts: list[Path]) -> Path:
    """The same text as one Markdown file next to the images, as a hand-made script would feed pandoc."""
    text = "\n\n".join(p.read_text(encoding="utf-8").replace("../../imagenes/", "imagenes/") for p in parts)
    combined = root / "ingenuo.md"
    combined.write_text(text, encoding="utf-8")
    return combined


def imprenta_html(master: Path, root: Path) -> Path:
    """The whole document as Imprenta's PDF stage writes it (its HTML, with the stylesheet of plantillas/ and the
    images at their files), for the single WeasyPrint baseline."""
    from imprenta.cache import Cache
    from imprenta.config import Config
    from imprenta.errors import Problems
    from imprenta.formats import accepted_kinds
    from imprenta.formats.pdf.pieces import pdf_html
    from imprenta.formats.pdf.render import _images
    from imprenta.identity import identify
    from imprenta.images import prepare_images
    from imprenta.source.assemble import read_document

    config = Config(root=root, master=master, templates_dir=root / "plantillas", cache_dir=root / ".cache-html")
    problems = Problems()
    doc = read_document(config, problems)
    prepare_images(doc, accepted_kinds(["pdf"]), config, Cache(config.cache_dir), problems)
    html, _ = pdf_html(doc, identify(doc), f"{doc.name}.docx", config, Cache(config.cache_dir))
    for url, path in _images(doc):
        html = html.replace(url, Path(path).as_uri())
    out = root / "plantillas" / "imprenta-entero.html"  # beside the stylesheet it links
    out.write_text(html, encoding="utf-8")
    return out


def main(sizes: list[int], rounds: int) -> None:
    from imprenta.tools import pandoc_path

    pandoc = pandoc_path()
    quarto = shutil.which("quarto")
    rows: list[tuple[int, int, str, Measure]] = []
    previews: list[tuple[int, float, float]] = []
    for pages in sizes:
        with tempfile.TemporaryDirectory(prefix=f"imprenta-bench-{pages}-") as tmp:
            root = Path(tmp)
            master, parts = generate(root, pages)
            combined = naive_project(root, master, parts)
            naive = [
                [pandoc, str(combined), "--standalone", "--toc", "-o", str(root / "ingenuo.html"),
                 "--metadata", "title=Prueba"],
                [PYTHON, "-c", f"import weasyprint; weasyprint.HTML({str(root / 'ingenuo.html')!r}).write_pdf({str(root / 'ingenuo.pdf')!r})"],
                [pandoc, str(combined), "-o", str(root / "ingenuo.docx")],
            ]
            runner = "import json, subprocess, sys\nfor c in json.loads(sys.argv[1]): subprocess.run(c, check=True)"
            naive_cmd = [PYTHON, "-c", runner, json.dumps(naive)]
            whole = imprenta_html(master, root)
            single = [PYTHON, "-c", f"import weasyprint; weasyprint.HTML({str(whole)!r}).write_pdf({str(root / 'entero.pdf')!r})"]
            build = [PYTHON, str(REPO / "build.py"), "--fuente", str(master), "--salida", str(root / "salida"),
                     "--cache", str(root / ".cache"), "--plantillas", str(root / "plantillas")]  # its stage lines mark the stages
            found: dict[str, list[Measure]] = {}
            middle = parts[len(parts) // 2]
            original = middle.read_text(encoding="utf-8")
            for turn in range(rounds):
                shutil.rmtree(root / "salida", ignore_errors=True)
                shutil.rmtree(root / ".cache", ignore_errors=True)
                order = [("ingenuo", naive_cmd), ("completa", build)]
                for name, cmd in (order if turn % 2 == 0 else order[::-1]):  # alternated: neither always first
                    found.setdefault(name, []).append(measure(cmd, root))
                found.setdefault("mismo-estilo", []).append(measure(single, root))
                before = {p.name: p.stat().st_mtime_ns for p in (root / "salida").iterdir()}
                found.setdefault("sin-cambios", []).append(measure(build, root))
                after = {p.name: p.stat().st_mtime_ns for p in (root / "salida").iterdir()}
                assert before == after, "una recompilación sin cambios reescribió salidas"
                first_para = next(line for line in original.splitlines()
                                  if line and not line.startswith(("#", "-", "|", "!", "[", ":")))
                middle.write_text(original.replace(first_para, first_para + " Frase añadida.", 1), encoding="utf-8")
                found.setdefault("un-parrafo", []).append(measure(build, root))
                middle.write_text(original, encoding="utf-8")
            count = _pages(root / "ingenuo.pdf")
            ours = _pages(root / "salida/plan.pdf")
            for name in ("ingenuo", "completa", "mismo-estilo", "sin-cambios", "un-parrafo"):
                rows.append((pages, count if name == "ingenuo" else _pages(root / "entero.pdf")
                             if name == "mismo-estilo" else ours, name, median(found[name])))
            previews.append((pages, *preview_latency(root, master, middle, rounds)))
            if quarto:
                qmd = root / "quarto.qmd"
                qmd.write_text("---\ntitle: Prueba\ntoc: true\n---\n\n" + combined.read_text(encoding="utf-8"), encoding="utf-8")
                rows.append((pages, ours, "quarto", measure([quarto, "render", str(qmd), "--to", "docx,typst"], root)))
    _print(rows, rounds)
    for pages, shown, built in previews:
        print(f"{pages} págs.: vista previa de --vigilar, del guardado a la recarga en el navegador {shown:.2f} s "
              f"(objetivo < 1 s); la compilación completa detrás, {built:.2f} s")


def preview_latency(root: Path, master: Path, part: Path, rounds: int) -> tuple[float, float]:
    """--vigilar with its browser preview: the seconds from saving a one-paragraph edit of a part to the preview's
    reload event (what a browser tab hears), and to the second event, once the whole build behind it published.
    Medians over the rounds; each round waits for the build behind before the next edit."""
    import re
    import urllib.request

    cmd = [PYTHON, "-u", str(REPO / "build.py"), "--vigilar", "--puerto", "0", "--fuente", str(master),
           "--salida", str(root / "salida"), "--cache", str(root / ".cache"), "--plantillas", str(root / "plantillas")]
    process = subprocess.Popen(cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    url = ""
    for line in process.stdout:
        if found := re.match(r"vista previa: (http://\S+)", line):
            url = found.group(1)
        if line.startswith("vigilando"):
            break
    threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
    events: list[float] = []
    arrived = threading.Condition()

    def listen() -> None:
        with urllib.request.urlopen(url + "_imprenta/cambios") as stream:
            for raw in stream:
                if raw.startswith(b"data:"):
                    with arrived:
                        events.append(time.monotonic())
                        arrived.notify_all()

    threading.Thread(target=listen, daemon=True).start()
    with arrived:
        arrived.wait_for(lambda: events, 30)
    original = part.read_text(encoding="utf-8")
    first = next(line for line in original.splitlines() if line and not line.startswith(("#", "-", "|", "!", "[", ":")))
    shown, built = [], []
    try:
        for turn in range(rounds):
            seen = len(events)
            saved = time.monotonic()
            part.write_text(original.replace(first, first + f" Frase añadida {turn}.", 1), encoding="utf-8")
            with arrived:
                arrived.wait_for(lambda n=seen: len(events) >= n + 2, 600)
            shown.append(events[seen] - saved)
            built.append(events[seen + 1] - saved)
    finally:
        part.write_text(original, encoding="utf-8")
        process.send_signal(2)
        process.wait(60)
    return sorted(shown)[len(shown) // 2], sorted(built)[len(built) // 2]


def _pages(pdf: Path) -> int:
    return int(subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout.split("Pages:")[1].split()[0])


def _print(rows: list[tuple[int, int, str, Measure]], rounds: int) -> None:
    naive = {pages: m for pages, _, name, m in rows if name == "ingenuo"}
    full = {pages: m for pages, _, name, m in rows if name == "completa"}
    single = {pages: m for pages, _, name, m in rows if name == "mismo-estilo"}
    print(f"{'tamaño':>6} {'págs.':>5} {'escenario':<12} {'reloj s':>8} {'CPU s':>7} {'memoria MB':>10} "
          f"{'reloj/ingenuo':>13} {'memoria/ingenuo':>15}")
    for pages, count, name, m in rows:
        base = naive[pages]
        print(f"{pages:>6} {count:>5} {name:<12} {m.wall:>8.2f} {m.cpu:>7.2f} {m.peak_mb:>10.0f} "
              f"{m.wall / base.wall:>13.2f} {m.peak_mb / base.peak_mb:>15.2f}")
    print()
    print(f"(medianas de {rounds} {'ronda' if rounds == 1 else 'rondas'}; órdenes alternadas; CPU y memoria del árbol "
          f"de procesos, muestreados cada {SAMPLE_SECONDS * 1000:.0f} ms en ambos lados)")
    for pages in full:
        one = next(m for p, _, n, m in rows if p == pages and n == "un-parrafo")
        same = next(m for p, _, n, m in rows if p == pages and n == "sin-cambios")
        target_naive = {100: "≤ 0,9", 400: "≤ 0,75"}.get(pages, "—")
        target_one = {100: "≤ 0,35", 400: "≤ 0,2"}.get(pages, "—")
        print(f"{pages} págs.: completa/ingenuo {full[pages].wall / naive[pages].wall:.2f} (objetivo {target_naive}) · "
              f"completa/mismo-estilo {full[pages].wall / single[pages].wall:.2f} (objetivo ≤ 1,0 a 400 págs.) · "
              f"sin cambios {same.wall:.2f} s (objetivo < 0,2 s) · un párrafo/completa {one.wall / full[pages].wall:.2f} "
              f"(objetivo {target_one}) · memoria/ingenuo {full[pages].peak_mb / naive[pages].peak_mb:.2f} "
              "(objetivo ≤ 1,5 a 400 págs.)")
    for pages, m in full.items():
        if m.stages:
            print(f"{pages} págs., completa, memoria en el pico de cada etapa (MB): "
                  + " · ".join(f"{name} {mb:.0f}" for name, mb in m.stages.items()))
    if 100 in full and 400 in full:
        print(f"crecimiento 400/100 págs.: {full[400].wall / full[100].wall:.2f} (objetivo ≤ 4,5)")
    print(json.dumps({"filas": [[p, c, n, round(m.wall, 3), round(m.cpu, 3), round(m.peak_mb)] for p, c, n, m in rows]}))


QUICK = [4]  # --rapido: a document of a few pages, for the test suite (it checks that the benchmark runs, not times)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    arguments = sys.argv[1:]
    rounds = 5
    if len(arguments) >= 2 and arguments[0] == "--veces" and arguments[1].isdigit():
        rounds, arguments = max(1, int(arguments[1])), arguments[2:]
    if arguments == ["--rapido"]:
        main(QUICK, 1)
    elif all(a.isdigit() for a in arguments):
        main([int(a) for a in arguments] or [25, 100, 400], rounds)
    else:
        sys.exit("uso: python bench/comparar.py [--veces N] [--rapido | TAMAÑO ...]  (tamaños en páginas, p. ej. 25 100 400)")
