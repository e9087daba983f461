"""Benchmark: Imprenta against the naive pipeline (and Quarto when installed), side by side in one run.

    .venv/bin/python bench/comparar.py              documents of 25, 100 and 400 pages
    .venv/bin/python bench/comparar.py 25 100       only those sizes
    .venv/bin/python bench/comparar.py --rapido     a 4-page document: that the benchmark runs (the suite calls it)

For each size it generates a document (10 parts at 400 pages, headings, lists, tables, footnotes, images),
then measures, one after the other on the same machine:
  ingenuo       one pandoc to HTML, one WeasyPrint, one pandoc to DOCX (what a script would do)
  completa      Imprenta, PDF + DOCX, cold cache and empty salida/
  sin-cambios   Imprenta again, nothing changed
  un-parrafo    Imprenta after one paragraph of one part changed
  quarto        quarto render to DOCX and PDF (Typst), if quarto is on the PATH
Wall time, CPU time (user + system of the processes the command waited for) and peak memory (the sum of the
proportional set size of the whole process tree, sampled every 20 ms) are printed as a table with the ratios
to the naive run. Imprenta's layout workers are children of a fork server, not of the command, so its CPU
column undercounts; wall time and memory cover every process.
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


def _tree_pss(root: int) -> int:
    """Memory (bytes) of a process and all its descendants: the sum of their proportional set sizes (PSS).

    PSS splits each shared page among the processes that map it, so worker processes forked from one
    parent (which share its libraries and preloaded modules) are not counted several times, as a sum of
    resident sizes would; for a single process it is its resident size less its share of libraries.
    """
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
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="utf-8") as handle:
                total += next(int(line.split()[1]) * 1024 for line in handle if line.startswith("Pss:"))
        except (OSError, IndexError, StopIteration):
            continue
    return total


def measure(cmd: list[str], cwd: Path) -> Measure:
    """Run a command to completion; its wall time, CPU time and the peak memory of its process tree."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.02):
            peak = max(peak, _tree_pss(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = process.communicate()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"falló: {' '.join(cmd)}\n{err.decode(errors='replace')[-2000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure(wall, cpu, peak / 1e6)


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


def main(sizes: list[int]) -> None:
    from imprenta.tools import pandoc_path

    pandoc = pandoc_path()
    quarto = shutil.which("quarto")
    rows: list[tuple[int, int, str, Measure]] = []
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
            m_naive = measure([PYTHON, "-c", runner, json.dumps(naive)], root)
            count = int(subprocess.run(["pdfinfo", str(root / "ingenuo.pdf")], capture_output=True, text=True)
                        .stdout.split("Pages:")[1].split()[0])
            rows.append((pages, count, "ingenuo", m_naive))
            build = [PYTHON, str(REPO / "build.py"), "--fuente", str(master), "--salida", str(root / "salida"),
                     "--cache", str(root / ".cache"), "--plantillas", str(root / "plantillas"), "--silencioso"]
            m_full = measure(build, root)
            ours = int(subprocess.run(["pdfinfo", str(root / "salida/plan.pdf")], capture_output=True, text=True)
                       .stdout.split("Pages:")[1].split()[0])
            rows.append((pages, ours, "completa", m_full))
            before = {p.name: p.stat().st_mtime_ns for p in (root / "salida").iterdir()}
            rows.append((pages, ours, "sin-cambios", measure(build, root)))
            after = {p.name: p.stat().st_mtime_ns for p in (root / "salida").iterdir()}
            assert before == after, "una recompilación sin cambios reescribió salidas"
            middle = parts[len(parts) // 2]
            text = middle.read_text(encoding="utf-8")
            first_para = next(line for line in text.splitlines() if line and not line.startswith(("#", "-", "|", "!", "[", ":")))
            middle.write_text(text.replace(first_para, first_para + " Frase añadida.", 1), encoding="utf-8")
            rows.append((pages, ours, "un-parrafo", measure(build, root)))
            if quarto:
                qmd = root / "quarto.qmd"
                qmd.write_text("---\ntitle: Prueba\ntoc: true\n---\n\n" + combined.read_text(encoding="utf-8"), encoding="utf-8")
                rows.append((pages, ours, "quarto", measure([quarto, "render", str(qmd), "--to", "docx,typst"], root)))
    _print(rows)


def _print(rows: list[tuple[int, int, str, Measure]]) -> None:
    naive = {pages: m for pages, _, name, m in rows if name == "ingenuo"}
    full = {pages: m for pages, _, name, m in rows if name == "completa"}
    print(f"{'tamaño':>6} {'págs.':>5} {'escenario':<12} {'reloj s':>8} {'CPU s':>7} {'memoria MB':>10} "
          f"{'reloj/ingenuo':>13} {'memoria/ingenuo':>15}")
    for pages, count, name, m in rows:
        base = naive[pages]
        print(f"{pages:>6} {count:>5} {name:<12} {m.wall:>8.2f} {m.cpu:>7.2f} {m.peak_mb:>10.0f} "
              f"{m.wall / base.wall:>13.2f} {m.peak_mb / base.peak_mb:>15.2f}")
    print()
    for pages in full:
        one = next(m for p, _, n, m in rows if p == pages and n == "un-parrafo")
        same = next(m for p, _, n, m in rows if p == pages and n == "sin-cambios")
        print(f"{pages} págs.: completa/ingenuo {full[pages].wall / naive[pages].wall:.2f} (objetivo ≤ 0,6) · "
              f"sin cambios {same.wall:.2f} s (objetivo < 0,5 s) · un párrafo/completa {one.wall / full[pages].wall:.2f} "
              f"(objetivo ≤ 0,2) · memoria/ingenuo {full[pages].peak_mb / naive[pages].peak_mb:.2f} (objetivo ≤ 0,5)")
    if 100 in full and 400 in full:
        print(f"crecimiento 400/100 págs.: {full[400].wall / full[100].wall:.2f} (objetivo ≤ 4,5)")
    print(json.dumps({"filas": [[p, c, n, round(m.wall, 3), round(m.cpu, 3), round(m.peak_mb)] for p, c, n, m in rows]}))


QUICK = [4]  # --rapido: a document of a few pages, for the test suite (it checks that the benchmark runs, not times)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    arguments = sys.argv[1:]
    if arguments == ["--rapido"]:
        main(QUICK)
    elif all(a.isdigit() for a in arguments):
        main([int(a) for a in arguments] or [25, 100, 400])
    else:
        sys.exit("uso: python bench/comparar.py [--rapido | TAMAÑO ...]  (tamaños en páginas, p. ej. 25 100 400)")
