"""The single wrapper through which every external program runs, and the lookup of those programs."""

from __future__ import annotations

import functools
import logging
import os
import resource
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolError

log = logging.getLogger(__name__)

# Debian package that provides each program, for install hints.
DEBIAN_PACKAGES = {
    "soffice": "libreoffice-draw-nogui libreoffice-writer-nogui",
    "rsvg-convert": "librsvg2-bin",
    "pdftoppm": "poppler-utils",
    "inkscape": "inkscape",
}


@dataclass(frozen=True)
class ToolResult:
    """What a finished program left: its command, exit code and both streams."""

    cmd: list[str]
    rc: int
    stdout: bytes
    stderr: str


def pandoc_path() -> str:
    """The pandoc binary shipped by pypandoc-binary (never a system one, so the version is known)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def find_program(name: str) -> str | None:
    """The absolute path of a program on PATH, or None."""
    return shutil.which(name)


def install_hint(name: str) -> str:
    """How to get a missing program, in the user's language."""
    package = DEBIAN_PACKAGES.get(name, name)
    return f"instale el paquete de Debian: sudo apt-get install {package} (o ejecute de nuevo bash instalar.sh)"


def _memory_limit(megabytes: int) -> Callable[[], None]:
    def apply() -> None:
        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def run_tool(
    cmd: list[str],
    *,
    input_bytes: bytes | None = None,
    timeout: float = 300,
    cwd: Path | None = None,
    check: bool = True,
    what: str | None = None,
    env: dict[str, str] | None = None,
    memory_mb: int | None = None,
) -> ToolResult:
    """Run a program, keep its command, exit code and stderr; raise ToolError on failure or timeout.

    memory_mb caps the program's address space (converters fed with untrusted images): a file that would
    make it allocate more fails instead of exhausting the machine.
    """
    label = what or Path(cmd[0]).name
    log.debug("ejecutando: %s", " ".join(cmd))
    try:
        proc = subprocess.run(
            cmd,
            input=input_bytes,
            capture_output=True,
            timeout=timeout,
            cwd=cwd,
            stdin=None if input_bytes is not None else subprocess.DEVNULL,
            env={**os.environ, **env} if env else None,
            preexec_fn=_memory_limit(memory_mb) if memory_mb else None,
        )
    except FileNotFoundError as exc:
        raise ToolError(cmd, None, "", f"no se encontró el programa {cmd[0]}", install_hint(Path(cmd[0]).name)) from exc
    except subprocess.TimeoutExpired as exc:
        raise ToolError(
            cmd,
            None,
            (exc.stderr or b"").decode("utf-8", "replace"),
            f"{label} no terminó en {timeout:.0f} s y se detuvo",
            "la entrada puede ser demasiado grande o estar dañada",
        ) from exc
    stderr = proc.stderr.decode("utf-8", "replace")
    result = ToolResult(cmd, proc.returncode, proc.stdout, stderr)
    if check and proc.returncode != 0:
        detail = stderr.strip().splitlines()[-5:] or ["(sin mensaje de error)"]
        raise ToolError(cmd, proc.returncode, stderr, f"{label} falló (código {proc.returncode}): " + " | ".join(detail))
    return result


@functools.lru_cache(maxsize=None)
def tool_version(program: str) -> str:
    """A program's version string, part of cache keys so that a tool upgrade invalidates conversions."""
    path = find_program(program)
    if path is None:
        return f"{program} ausente"
    try:
        result = run_tool([path, "--version"], timeout=60, check=False)
    except Exception:  # noqa: BLE001 - a version probe must never break a build
        return f"{program} desconocido"
    return result.stdout.decode("utf-8", "replace").strip().splitlines()[0] if result.stdout else program


def git_revision(root: Path, files: tuple[Path, ...]) -> str:
    """The commit the sources come from, flagged when some of them have uncommitted changes."""
    git = find_program("git")
    if git is None:
        return "sin control de versiones (git no está instalado)"
    head = run_tool([git, "-C", str(root), "rev-parse", "--short=12", "HEAD"], check=False, timeout=30, what="git")
    if head.rc != 0:
        return "sin control de versiones"
    status = run_tool(
        [git, "-C", str(root), "status", "--porcelain", "--", *(str(p) for p in files)],
        check=False,
        timeout=30,
        what="git",
    )
    revision = head.stdout.decode().strip()
    return f"{revision} con cambios sin confirmar" if status.stdout.strip() else revision
