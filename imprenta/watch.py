"""`--vigilar`: rebuild whenever a source, image or template changes (polling: no extra dependency, any file system)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from .config import Config
from .errors import ImprentaError, display_path

log = logging.getLogger(__name__)

INTERVAL = 0.5  # seconds between two looks at the folders
SETTLE = 0.3  # an editor saving several files at once: wait until they are all written


def watched_folders(config: Config) -> list[Path]:
    """fuente/ (the master's folder), the imagenes/ beside it and plantillas/."""
    folders = [config.master.parent, config.master.parent.parent / "imagenes", config.templates_dir]
    return [f for f in folders if f.is_dir()]


def snapshot(folders: list[Path]) -> dict[Path, tuple[int, int]]:
    """Size and modification time of every visible file under the folders."""
    found: dict[Path, tuple[int, int]] = {}
    for folder in folders:
        for path in folder.rglob("*"):
            if any(part.startswith(".") for part in path.relative_to(folder).parts):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if path.is_file():
                found[path] = (st.st_size, st.st_mtime_ns)
    return found


def watch(config: Config, build_once: Callable[[], None], stop: threading.Event, interval: float = INTERVAL) -> int:
    """Build now, then again after every change, until stop is set (Ctrl+C in the command line)."""
    folders = watched_folders(config)
    builds = 0

    def run() -> None:
        nonlocal builds
        builds += 1
        try:
            build_once()
        except ImprentaError as exc:  # a failed build is reported and the watch goes on
            log.error("error: %s", exc.message)
            if exc.hint:
                log.error("    sugerencia: %s", exc.hint)

    seen = snapshot(folders)  # taken before building: a change saved during the build triggers the next one
    run()
    log.info("vigilando %s (Ctrl+C para terminar)", ", ".join(f"{display_path(f)}/" for f in folders))
    while not stop.wait(interval):
        current = snapshot(folders)
        if current == seen:
            continue
        stop.wait(SETTLE)
        current = snapshot(folders)
        changed = sorted(set(current.items()) ^ set(seen.items()))
        names = sorted({display_path(path) for path, _ in changed})
        log.info("cambió %s: se vuelve a compilar", ", ".join(names[:3]) + (" …" if len(names) > 3 else ""))
        seen = current
        run()
    return builds
