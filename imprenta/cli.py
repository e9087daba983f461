"""Command line: `python build.py [pdf|docx|referencia] [opciones]`; the one place where errors are caught."""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
import time
from pathlib import Path

from . import __version__
from .config import FORMAT_NAMES, Config
from .errors import BuildFailed, ConfigError, ImprentaError, Problems, ToolError, display_path
from .tools import allow_children, stop_children

log = logging.getLogger("imprenta")

# argparse's own words, in Spanish (it looks them up through its module-level `_` at run time).
_ARGPARSE_ES = {
    "usage: ": "uso: ",
    "positional arguments": "argumentos",
    "options": "opciones",
    "show this help message and exit": "muestra esta ayuda y termina",
    "invalid choice: %(value)r (choose from %(choices)s)": "orden desconocida: %(value)r (elija entre %(choices)s)",
    "unrecognized arguments: %s": "opciones desconocidas: %s",
    "expected one argument": "falta el valor de la opción",
    "the following arguments are required: %s": "faltan los argumentos: %s",
    "%(prog)s: error: %(message)s\n": "%(prog)s: error: %(message)s\n",
    "ambiguous option: %(option)s could match %(matches)s": "opción ambigua: %(option)s puede ser %(matches)s",
}
argparse._ = lambda text: _ARGPARSE_ES.get(text, text)  # type: ignore[attr-defined]

COMMANDS = {
    "todo": "genera el PDF y el DOCX (por defecto)",
    "pdf": "genera solo el PDF",
    "docx": "genera solo el DOCX",
    "odt": "genera solo el ODT (OpenDocument, para LibreOffice)",
    "html": "genera la edición web accesible (salida/NOMBRE-web/), con buscador y las descargas",
    "revisar": "revisa las fuentes sin compilar (enlaces, imágenes, títulos, erratas); o los .md indicados",
    "cambios": "compara con una versión de git (--desde v1.0): salida/plan-cambios.docx y .odt con control de cambios, la edición de cambios en PDF y un resumen HTML",
    "observaciones": "reúne comentarios y cambios de los DOCX y ODT devueltos en observaciones/consulta.sqlite y la hoja observaciones/respuestas.xlsx (y .ods); informe en salida/observaciones.html",
    "verificar": "comprueba la firma digital de un PDF (python build.py verificar salida/plan.pdf)",
    "importar": "convierte un DOCX u ODT en un proyecto nuevo (fuente/, imagenes/, metadatos) con la prueba de que no se perdió nada",
    "referencia": "regenera plantillas/referencia.docx a partir de plantillas/estilos-docx.toml",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="build.py",
        description=(
            "Imprenta: compila un documento Markdown (el maestro y las partes que enlaza) "
            "en un PDF oficial, un DOCX editable y, si se pide, un ODT."
        ),
        epilog=(
            "ejemplos:\n"
            "  python build.py                      genera salida/plan.pdf y salida/plan.docx\n"
            "  python build.py pdf                  solo el PDF\n"
            "  python build.py docx --revision      el DOCX y la copia para observaciones (plan-revision.docx)\n"
            "  python build.py odt                  la edición OpenDocument (plan.odt)\n"
            "  python build.py html                 la edición web accesible (salida/plan-web/index.html)\n"
            "  IMPRENTA_CLAVE=... python build.py pdf --firmar entidad.p12 --firma-visible\n"
            "                                       el PDF firmado (PAdES), con el recuadro de firma en el colofón\n"
            "  python build.py --vigilar            vuelve a compilar cada vez que se guarda un cambio, y muestra\n"
            "                                       la edición web en http://127.0.0.1:8000/ (se recarga sola)\n"
            "  python build.py revisar              revisa las fuentes sin compilar\n"
            "  python build.py cambios --desde v1.0 lo que cambió desde la etiqueta v1.0\n"
            "  python build.py cambios --desde v1.0 --hasta v2.0\n"
            "                                       lo que cambió entre dos ediciones publicadas\n"
            "  python build.py observaciones devueltos/*.docx\n"
            "                                       reúne las observaciones de las entidades\n"
            "  python build.py verificar salida/plan.pdf --confianza raiz.pem\n"
            "                                       comprueba la firma\n"
            "  python build.py importar manual.docx --destino manual\n"
            "                                       convierte un documento de Word o LibreOffice en un proyecto\n"
            "  python build.py --fuente otro/indice.md --salida /tmp/otro\n\n"
            "Cada problema se indica como archivo:línea: mensaje, con una sugerencia.\n"
            "Las salidas se escriben solo si la compilación termina bien: si falla, salida/ queda como estaba.\n"
            "Un documento largo se maqueta por partes, a la vez, en un proceso por núcleo;\n"
            "IMPRENTA_PROCESOS=N fija cuántos (1: en el propio proceso, p. ej. si falta memoria)."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "orden", nargs="?", default="todo", choices=list(COMMANDS),
        help="; ".join(f"{k}: {v}" for k, v in COMMANDS.items()),
    )
    p.add_argument("archivos", nargs="*", type=Path, metavar="ARCHIVO",
                   help="con verificar: el PDF firmado; con observaciones: los DOCX devueltos por las entidades; "
                        "con importar: el DOCX u ODT que se convierte")
    p.add_argument("--fuente", type=Path, default=Path("fuente/plan.md"), metavar="ARCHIVO.md",
                   help="documento maestro (por defecto fuente/plan.md)")
    p.add_argument("--salida", type=Path, default=Path("salida"), metavar="DIR",
                   help="carpeta de las salidas (por defecto salida/)")
    p.add_argument("--plantillas", type=Path, default=Path("plantillas"), metavar="DIR",
                   help="carpeta de plantillas: HTML, CSS, DOCX de referencia, fuentes (por defecto plantillas/)")
    p.add_argument("--cache", type=Path, default=Path(".cache"), metavar="DIR",
                   help="carpeta de la caché de conversiones (por defecto .cache/)")
    p.add_argument("--revision", action="store_true",
                   help="escribe además la copia para observaciones (plan-revision.docx): control de cambios "
                        "activado y edición protegida; con la variable IMPRENTA_CLAVE_REVISION, con contraseña")
    p.add_argument("--desde", metavar="VERSIÓN", help="con cambios: etiqueta o commit de git con que se compara")
    p.add_argument("--hasta", metavar="VERSIÓN",
                   help="con cambios: la edición nueva, otra etiqueta o commit (por defecto, las fuentes actuales)")
    p.add_argument("--respuestas", action="store_true",
                   help="con observaciones: escribe además una respuesta por entidad (salida/respuestas/*.docx y .pdf) "
                        "con el estado y la respuesta del equipo de cada observación")
    p.add_argument("--destino", type=Path, metavar="CARPETA",
                   help="con importar: la carpeta del proyecto nuevo (fuente/, imagenes/, importacion.html)")
    p.add_argument("--cambios", choices=("aceptar", "rechazar"), dest="cambios_controlados",
                   help="con importar: qué hacer con los cambios controlados del documento (si tiene)")
    p.add_argument("--sobrescribir", action="store_true",
                   help="con importar: reemplaza la carpeta de destino si ya tiene un proyecto")
    p.add_argument("--firmar", type=Path, metavar="CERT.p12",
                   help="firma el PDF con este certificado PKCS#12; la contraseña se toma de la variable "
                        "IMPRENTA_CLAVE o se pide en la terminal (nunca en la línea de órdenes)")
    p.add_argument("--firma-visible", action="store_true", help="con --firmar: dibuja el recuadro de la firma en el colofón")
    p.add_argument("--confianza", type=Path, action="append", default=[], metavar="CA.pem",
                   help="con verificar: certificado de una autoridad de confianza (se puede repetir)")
    p.add_argument("--vigilar", action="store_true",
                   help="compila y vuelve a compilar cada vez que cambia algo en fuente/, imagenes/ o plantillas/, "
                        "y muestra la edición web en el navegador (http://127.0.0.1:8000/), que se recarga sola: "
                        "una parte editada se ve al instante, mientras el PDF y el DOCX se rehacen detrás")
    p.add_argument("--puerto", type=int, default=8000, metavar="N",
                   help="con --vigilar: el puerto de la vista previa (por defecto 8000; 0: uno libre; -1: sin vista "
                        "previa)")
    p.add_argument("--estricto", action="store_true", help="los avisos también detienen la compilación")
    p.add_argument("--depurar", action="store_true", help="muestra detalles y, ante un fallo, la traza completa")
    p.add_argument("--silencioso", action="store_true", help="muestra solo avisos y errores")
    p.add_argument("--version", action="version", version=f"Imprenta {__version__}", help="muestra la versión")
    return p


def _setup_logging(debug: bool, quiet: bool) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_imprenta", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler._imprenta = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    level = logging.DEBUG if debug else logging.WARNING if quiet else logging.INFO
    logging.getLogger("imprenta").setLevel(level)
    # Third-party chatter (fontTools, weasyprint) only when debugging; WeasyPrint warnings are collected apart.
    for noisy in ("fontTools", "weasyprint", "PIL", "pyhanko", "pikepdf"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if debug else logging.ERROR)
    root.setLevel(logging.DEBUG if debug else logging.INFO)


def _build_config(args: argparse.Namespace, config: Config) -> Config:
    """The formats asked for (and --revision) and the checked certificate of --firmar, before anything is built."""
    formats = FORMAT_NAMES if args.orden == "todo" else (args.orden,)
    if args.revision:
        if args.orden not in ("todo", "docx"):
            raise ConfigError(f"--revision no se aplica a la orden {args.orden}", "use: python build.py docx --revision")
        formats = (*formats, "revision")
    if args.firma_visible and not args.firmar:
        raise ConfigError("--firma-visible necesita --firmar", "use: python build.py pdf --firmar CERT.p12 --firma-visible")
    credentials = None
    if args.firmar:
        if "pdf" not in formats:
            raise ConfigError(f"--firmar no se aplica a la orden {args.orden}", "use: python build.py pdf --firmar CERT.p12")
        from .formats.pdf.signing import check_certificate, read_password

        # Checked before building: a wrong password or an expired certificate changes nothing in salida/.
        credentials = check_certificate(args.firmar, read_password(args.firmar))
    return dataclasses.replace(config, formats=formats, signature=credentials, visible_signature=args.firma_visible)


def _unchanged(config: Config) -> bool:
    """Whether the last build's outputs still hold (said and listed); checked without importing the pipeline."""
    from .incremental import unchanged

    started = time.monotonic()
    previous = unchanged(config)
    if previous is None:
        return False
    log.info("sin cambios desde la última compilación (%.2f s): no se reescribió nada", time.monotonic() - started)
    for path in previous.values():
        log.info("  %s", display_path(path))
    return True


def _watch(config: Config, port: int | None) -> int:
    from .pipeline import build
    from .preview import Preview
    from .watch import watch

    preview = None
    if port is not None:
        # The web edition is built too: the preview serves it, and shows an edited part at once from that part alone.
        if "html" not in config.formats:
            config = dataclasses.replace(config, formats=(*config.formats, "html"))
        preview = Preview(config, port)

    def once() -> None:
        problems = Problems(strict=config.strict)
        try:
            result = build(config, problems)
        finally:
            problems.report()
        log.info("listo en %.1f s: %s", result.seconds, ", ".join(display_path(p) for p in result.outputs.values()))
        if preview is not None and "html" in result.outputs:
            preview.published(result.outputs["html"])
            log.info("vista previa: %s", preview.url)

    stop = threading.Event()
    try:
        watch(config, once, stop, preview=preview.show_parts if preview is not None else None)
    except KeyboardInterrupt:
        log.info("fin de la vigilancia")
    finally:
        if preview is not None:
            preview.close()
    return 0


def _verify(files: list[Path], trust: list[Path]) -> int:
    from .formats.pdf.signing import report, verify_pdf

    if len(files) != 1:
        raise ConfigError("indique un PDF, y solo uno, para verificar", "use: python build.py verificar salida/plan.pdf")
    return 0 if report(files[0], verify_pdf(files[0], trust)) else 1


def _lint(config: Config, files: list[Path], problems: Problems) -> int:
    from .source.assemble import check_document
    from .source.lint import lint_document, lint_files
    from .source.project import load_project

    if files:
        count = lint_files(files, problems, config.cache_dir)
    else:
        # Every problem of assembly (broken links, images) and every writing slip, without stopping early.
        project = load_project(config, problems)
        sources, listed = check_document(project, problems)
        lint_document(sources, project.content_dir, problems, listed)
        count = len(sources)
    problems.report()
    errors = sum(1 for p in problems.items if p.severity == "error")
    log.info("revisión: %d errores y %d avisos en %d archivos", errors, problems.warning_count, count)
    return 1 if problems.error_count else 0


def _changes(config: Config, revision: str | None, until: str | None, problems: Problems) -> int:
    from .review.versions import compare_versions

    if not revision:
        raise ConfigError("falta la versión con que comparar", "use: python build.py cambios --desde v1.0")
    written, _ = compare_versions(config, revision, problems, until)
    for path in written:
        log.info("  %s", display_path(path))
    return 0


def _observations(config: Config, files: list[Path], problems: Problems, answers: bool) -> int:
    from .review.report import collect_observations

    if not files and not answers:
        raise ConfigError("faltan los archivos devueltos por las entidades",
                          "use: python build.py observaciones devueltos/*.docx (o .odt); o --respuestas para "
                          "escribir las respuestas con lo ya reunido")
    missing = [f for f in files if not f.is_file()]
    if missing:
        raise ConfigError(f"no se encontró {missing[0]}", "compruebe la ruta de los archivos devueltos")
    log.info("leyendo %d archivos devueltos", len(files))
    written, count = collect_observations(config, files, problems, answers)
    log.info("%d observaciones en el registro; escrito:", count)
    for path in written:
        log.info("  %s", display_path(path))
    return 0


def _import(args: argparse.Namespace) -> int:
    from .importing import import_document
    from .importing.proof import counts_table

    if len(args.archivos) != 1:
        raise ConfigError("indique un documento, y solo uno, para importar",
                          "use: python build.py importar DOCUMENTO.docx --destino CARPETA")
    if args.destino is None:
        raise ConfigError("falta la carpeta del proyecto nuevo",
                          f"use: python build.py importar {args.archivos[0]} --destino CARPETA")
    started = time.monotonic()
    imported = import_document(args.archivos[0], args.destino, args.cambios_controlados, args.sobrescribir,
                               args.plantillas.resolve(), args.cache.resolve())
    log.info("importado en %.1f s. Lo que tenía el original y lo que tienen las fuentes:", time.monotonic() - started)
    rows = counts_table(imported.original, imported.sources, len(imported.comments))
    width = max(len(what) for what, _, _, _ in rows)
    log.info("  %s  %10s  %10s", "".ljust(width), "original", "fuentes")
    for what, before, after, why in rows:
        log.info("  %s  %10s  %10s%s", what.ljust(width), before, after, f"  ≠ {why}" if why else "")
    words = imported.words
    log.info("  palabras del original en el DOCX reconstruido, en orden: %.2f %% (%d de %d)", 100 * words.share,
             words.found, words.original)
    log.info("  párrafos que faltan: %d; comentarios: %d (con el pasaje y dónde quedó, en el informe)",
             len(words.missing), len(imported.comments))
    for note in imported.notes:
        log.info("  · %s", note)
    log.info("escrito:")
    log.info("  %s (el maestro)", display_path(imported.master))
    log.info("  %s (el informe de la importación)", display_path(imported.report))
    log.info("compílelo con: python build.py --fuente %s", display_path(imported.master))
    return 0


def _stop_on_signals() -> None:
    """Ctrl+C (SIGINT), SIGTERM (a service manager, a CI timeout) and SIGHUP stop a build the same way: every
    child program killed at once (threads waiting on them then return), scratch removed as the stack unwinds,
    salida/ untouched. Only the main thread can set handlers (a test may call main() from another)."""
    if threading.current_thread() is not threading.main_thread():
        return

    def interrupt(signum: int, frame: object) -> None:
        stop_children()
        raise KeyboardInterrupt(signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    _setup_logging(args.depurar, args.silencioso)
    _stop_on_signals()
    allow_children()
    problems = Problems(strict=args.estricto)
    try:
        return _run(args, problems)
    except ImprentaError as exc:
        problems.report()  # everything collected before the stop, each once, then the reason it stopped
        log.error("error: %s", exc.message)
        if exc.hint:
            log.error("    sugerencia: %s", exc.hint)
        if args.depurar:
            if isinstance(exc, ToolError):
                log.error("orden: %s\nsalida de error:\n%s", " ".join(exc.cmd), exc.stderr)
            log.exception("traza:")
        if args.orden == "importar":
            log.error("la importación se detuvo; no se escribió nada en %s",
                      display_path(args.destino) if args.destino else "el destino")
        elif not isinstance(exc, BuildFailed) and args.orden not in ("verificar", "observaciones", "revisar"):
            log.error("la compilación se detuvo; no se escribió nada en %s", display_path(args.salida))
        return 1
    except KeyboardInterrupt:
        stop_children()
        problems.report()
        log.error("interrumpido; no se escribió nada en la salida")
        return 130
    finally:
        problems.report()


def _run(args: argparse.Namespace, problems: Problems) -> int:
    if args.orden == "referencia":
        from .templates import generate_reference

        for path in generate_reference(args.plantillas.resolve()):
            log.info("plantilla regenerada: %s", display_path(path))
        return 0
    if args.orden == "verificar":
        return _verify(args.archivos, args.confianza)
    if args.orden == "importar":
        return _import(args)
    config = Config(master=args.fuente, output_dir=args.salida, templates_dir=args.plantillas,
                    cache_dir=args.cache, strict=args.estricto)
    if args.orden == "observaciones":
        return _observations(config, args.archivos, problems, args.respuestas)
    if args.orden == "cambios":
        return _changes(config, args.desde, args.hasta, problems)
    if args.orden == "revisar":
        return _lint(config, args.archivos, problems)
    if args.archivos:
        raise ConfigError(f"argumento de más: {args.archivos[0]}",
                          "solo verificar, observaciones y revisar reciben archivos; la fuente se indica con --fuente")
    config = _build_config(args, config)
    if args.vigilar:
        return _watch(config, None if args.puerto < 0 else args.puerto)
    if config.signature is None and _unchanged(config):  # a signature is made anew every time: never skipped
        return 0
    from .pipeline import build

    result = build(config, problems)
    problems.report()
    log.info("listo en %.1f s (%s):", result.seconds,
             " · ".join(f"{stage} {seconds:.1f} s" for stage, seconds in result.stages.items()))
    for name, path in result.outputs.items():
        facts = ", ".join(f"{v} {k}" for k, v in result.facts.get(name, {}).items())
        log.info("  %s%s", display_path(path), f" ({facts})" if facts else "")
    return 0
