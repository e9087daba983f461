"""Progress on long stages, drawn on the terminal only (a log file or a test gets the plain stage lines)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

# IMPRENTA_PROGRESO=1 draws progress even when stderr is not a terminal (for checks and CI logs).
FORCE_VARIABLE = "IMPRENTA_PROGRESO"


def enabled() -> bool:
    return sys.stderr.isatty() or os.environ.get(FORCE_VARIABLE) == "1"


def _draw(text: str) -> None:
    sys.stderr.write(f"\r\x1b[K{text}" if sys.stderr.isatty() else f"{text}\n")
    sys.stderr.flush()


@contextmanager
def ticking(label: str, every: float = 1.0) -> Iterator[None]:
    """For work that says nothing while it runs (LibreOffice converting): the seconds it has taken so far."""
    if not enabled():
        yield
        return
    stop = threading.Event()
    started = time.monotonic()

    def tick() -> None:
        while not stop.wait(every):
            _draw(f"      {label}… {time.monotonic() - started:.0f} s")

    thread = threading.Thread(target=tick, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        if sys.stderr.isatty():
            _draw("")


@contextmanager
def layout_pages(label: str, every: int = 10) -> Iterator[None]:
    """Pages laid out so far by WeasyPrint, counted as its page maker yields them."""
    if not enabled():
        yield
        return
    import weasyprint.layout as layout

    original = layout.make_all_pages
    started = time.monotonic()
    laid_out = 0

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal laid_out
        for laid_out, page in enumerate(original(*args, **kwargs), start=1):
            if laid_out % every == 0:
                _draw(f"      {label}: {laid_out} páginas ({time.monotonic() - started:.0f} s)")
            yield page

    layout.make_all_pages = counting
    try:
        yield
    finally:
        layout.make_all_pages = original
        _draw(f"      {label}: {laid_out} páginas en {time.monotonic() - started:.1f} s")
        if sys.stderr.isatty():
            sys.stderr.write("\n")
