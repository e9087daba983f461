"""`--vigilar`: rebuild whenever a source, image or template changes (polling: no extra dependency, any file system)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from .config import Config
from .errors import ImprentaError, display_path

log = logging.getLogger(__name__)

INTERVAL = 0.1  # seconds between two looks at the folders (a few hundred stat calls: nothing)
SETTLE = 0.05  # an editor saving several files at once: wait until they are all written


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


def watch(config: Config, build_once: Callable[[], None], stop: threading.Event, interval: float = INTERVAL,
          preview: Callable[[list[Path]], object] | None = None) -> int:
    """Build now, then again after every change, until stop is set (Ctrl+C in the command line).

    After the first build, builds run behind the watch, one at a time: a change saved while one runs is seen at
    once and built next. With a preview (the browser view of --vigilar), every change is first handed to it, so
    that a part's new text shows before the whole build that follows."""
    folders = watched_folders(config)
    builds = 0
    wanted = threading.Event()

    def run() -> None:
        nonlocal builds
        builds += 1
        try:
            build_once()
        except ImprentaError as exc:  # a failed build is reported and the watch goes on
            log.error("error: %s", exc.message)
            if exc.hint:
                log.error("    sugerencia: %s", exc.hint)

    def builder() -> None:
        while not stop.is_set():
            if wanted.wait(interval):
                wanted.clear()
                run()

    seen = snapshot(folders)  # taken before building: a change saved during the build triggers the next one
    run()
    log.info("vigilando %s (Ctrl+C para terminar)", ", ".join(f"{display_path(f)}/" for f in folders))
    behind = threading.Thread(target=builder, name="compilacion", daemon=True)
    behind.start()
    try:
        while not stop.wait(interval):
            current = snapshot(folders)
            if current == seen:
                continue
            stop.wait(SETTLE)
            current = snapshot(folders)
            changed = sorted({path for path, _ in set(current.items()) ^ set(seen.items())})
            names = [display_path(path) for path in changed]
            log.info("cambió %s: se vuelve a compilar", ", ".join(names[:3]) + (" …" if len(names) > 3 else ""))
            seen = current
            if preview is not None:
                preview([path for path in changed if path in current])
            wanted.set()
    finally:
        stop.set()
        behind.join(timeout=60)  # a build under way ends (or fails at once, when Ctrl+C stopped its programs)
    return builds
