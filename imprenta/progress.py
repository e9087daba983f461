"""Progress on long stages, drawn on the terminal only (a log file or a test gets the plain stage lines)."""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
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
def counting(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """Pieces of work done out of a known number (chunks laid out), with the pages they made so far."""
    started = time.monotonic()
    done = pages = 0

    def tick(made: int) -> None:
        nonlocal done, pages
        done, pages = done + 1, pages + made
        if enabled():
            count = f"{done} de {total} partes, " if total > 1 else ""
            _draw(f"      {label}: {count}{pages} páginas ({time.monotonic() - started:.0f} s)")

    yield tick
    if enabled() and total and sys.stderr.isatty():
        sys.stderr.write("\n")
