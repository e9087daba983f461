"""The single wrapper through which every external program runs, and the lookup of those programs."""

from __future__ import annotations

import contextlib
import contextvars
import ctypes
import ctypes.util
import functools
import logging
import os
import resource
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ToolError

log = logging.getLogger(__name__)

# The Debian packages Imprenta needs, with the programs each gives: instalar.sh installs from the same file.
PACKAGES_FILE = Path(__file__).with_name("paquetes-debian.txt")


@functools.cache
def debian_packages() -> dict[str, str]:
    """Program -> the Debian packages that provide it (space separated), from paquetes-debian.txt."""
    found: dict[str, list[str]] = {}
    for line in PACKAGES_FILE.read_text(encoding="utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        for program in (w for w in words[1:] if not w.startswith("@")):
            found.setdefault(program, []).append(words[0].split("|")[0])  # of "a|b", the one instalar.sh installs
    return {program: " ".join(packages) for program, packages in found.items()}


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


# pandoc works on untrusted text: its heap is capped (a clean "out of memory" instead of taking the machine, as a
# 20,000-row table once did with 7.7 GB), its address space too (the hard limit behind the heap's), and its time
# grows with its input (a minute, plus a second per 100 kB: a 400-page document's AST is a few MB).
PANDOC_HEAP_MB = 3072
PANDOC_MEMORY_MB = 8192


def pandoc_timeout(size: int) -> float:
    """How long pandoc may take on an input of this many bytes."""
    return 60 + size / 100_000


# A pandoc run on a whole long document holds a few hundred MB; formats rendering side by side (the DOCX, the
# PDF's HTML) would otherwise run theirs at once, at the build's peak. Above this input size they take turns.
LARGE_PANDOC_INPUT = 1_000_000


# The announcement a format's thread carries (see PandocTurns.announce): its first urgent block ends it.
_ANNOUNCED: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar("announced", default=None)


class PandocTurns:
    """Large pandoc runs one at a time. While a format announces urgent work (the PDF writing the HTML that the
    layout waits for), its own runs go first and the others wait until it is done; work that would only compete
    with it in this process waits in calm()."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._busy = False
        self._urgent = 0

    @contextlib.contextmanager
    def urgent(self) -> Iterator[None]:
        """Within this block, runs made with urgent=True go before the others (announce it early). Its end also
        ends the announcement its thread carries."""
        with self._changed:
            self._urgent += 1
        try:
            yield
        finally:
            with self._changed:
                self._urgent -= 1
                self._changed.notify_all()
            if (end := _ANNOUNCED.get()) is not None:
                end()

    def announce(self) -> Callable[[], None]:
        """Count urgent work from now, for a format about to start in another thread, so that nothing waiting in
        calm() slips in before that format begins. It ends when the format's first urgent block does (see
        carrying), or at the returned function, which may be called more than once."""
        with self._changed:
            self._urgent += 1
        ended = False

        def end() -> None:
            nonlocal ended
            with self._changed:
                if not ended:
                    ended = True
                    self._urgent -= 1
                    self._changed.notify_all()

        return end

    @contextlib.contextmanager
    def carrying(self, end: Callable[[], None]) -> Iterator[None]:
        """Run the announced format's work in this block: its first urgent block ends the announcement, and so does
        the end of this block (a format that failed or had nothing urgent to do)."""
        token = _ANNOUNCED.set(end)
        try:
            yield
        finally:
            _ANNOUNCED.reset(token)
            end()

    def calm(self) -> None:
        """Wait until no urgent work is announced: for work that would only compete with it for this process (the
        DOCX preparing its AST, while the PDF prepares the HTML its layout waits for)."""
        with self._changed:
            self._changed.wait_for(lambda: not self._urgent)

    @contextlib.contextmanager
    def turn(self, urgent: bool = False) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._busy and (urgent or not self._urgent))
            self._busy = True
        try:
            yield
        finally:
            with self._changed:
                self._busy = False
                self._changed.notify_all()


PANDOC_TURNS = PandocTurns()


def run_pandoc(args: list[str], *, input_bytes: bytes, what: str, env: dict[str, str] | None = None,
               urgent: bool = False) -> ToolResult:
    """Run the bundled pandoc on input_bytes under its heap, memory and time limits (see above); a large input
    waits for its turn (see PandocTurns)."""
    large = len(input_bytes) > LARGE_PANDOC_INPUT
    with PANDOC_TURNS.turn(urgent) if large else contextlib.nullcontext():
        return run_tool(
            [pandoc_path(), "+RTS", f"-M{PANDOC_HEAP_MB}m", "-RTS", *args],
            input_bytes=input_bytes,
            what=what,
            env=env,
            timeout=pandoc_timeout(len(input_bytes)),
            memory_mb=PANDOC_MEMORY_MB,
        )


def find_program(name: str) -> str | None:
    """The absolute path of a program on PATH, or None."""
    return shutil.which(name)


def install_hint(name: str) -> str:
    """How to get a missing program, in the user's language."""
    package = debian_packages().get(name, name)
    return f"instale el paquete de Debian: sudo apt-get install {package} (o ejecute de nuevo bash instalar.sh)"


# Every child still running, so that an interrupted build (Ctrl+C, SIGTERM) stops them all before it ends.
_LIVE: set[subprocess.Popen[bytes]] = set()
_LIVE_LOCK = threading.Lock()
_PR_SET_PDEATHSIG = 1
try:  # loaded before any fork: the child only calls it
    _prctl = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):  # not Linux: a killed parent may leave children; Ctrl+C and SIGTERM still stop them
    _prctl = None


def die_with_parent() -> None:
    """Ask the kernel to kill this process when its parent dies, even by SIGKILL (Linux's PR_SET_PDEATHSIG)."""
    if _prctl is not None:
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _child_setup(memory_mb: int | None) -> Callable[[], None]:
    def apply() -> None:
        die_with_parent()
        if memory_mb:
            # Never above a limit already set from outside (ulimit -v): a child cannot raise its hard limit.
            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            limit = memory_mb * 1024 * 1024 if hard == resource.RLIM_INFINITY else min(memory_mb * 1024 * 1024, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    return apply


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """Kill a child and everything it started (it leads a process group of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):  # already gone
        os.killpg(proc.pid, signal.SIGKILL)


_STOPPING = threading.Event()


def allow_children() -> None:
    """A new command starts: programs may run again (a watch or a test runs several in one process)."""
    _STOPPING.clear()


def stop_children() -> None:
    """Kill every program still running for this build, and start no other (called when it is interrupted)."""
    _STOPPING.set()
    with _LIVE_LOCK:
        live = list(_LIVE)
    for proc in live:
        _kill(proc)


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

    memory_mb caps the program's address space (converters fed with untrusted input): a file that would
    make it allocate more fails instead of exhausting the machine. Each program leads a process group of its
    own and dies with this process, even when this process is killed outright: no child outlives its build.
    """
    label = what or Path(cmd[0]).name
    if _STOPPING.is_set():
        raise ToolError(cmd, None, "", f"{label} no se inició: la compilación se está deteniendo")
    log.debug("ejecutando: %s", " ".join(cmd))
    try:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if input_bytes is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env={**os.environ, **env} if env else None,
            preexec_fn=_child_setup(memory_mb),
            start_new_session=True,
        )
    except FileNotFoundError as exc:
        raise ToolError(cmd, None, "", f"no se encontró el programa {cmd[0]}", install_hint(Path(cmd[0]).name)) from exc
    except (OSError, subprocess.SubprocessError) as exc:  # no memory or processes left to start it (a ulimit)
        raise ToolError(cmd, None, "", f"{label} no se pudo iniciar: {exc.strerror or exc}",
                        "libere memoria o suba el límite de memoria del proceso (ulimit -v) y vuelva a intentarlo") from exc
    with _LIVE_LOCK:
        _LIVE.add(proc)
    if _STOPPING.is_set():  # stopped between the check above and now: this one is killed too
        _kill(proc)
    try:
        out, err = proc.communicate(input_bytes, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        _kill(proc)
        _, err = proc.communicate()
        raise ToolError(
            cmd,
            None,
            (err or b"").decode("utf-8", "replace"),
            f"{label} no terminó en {timeout:.0f} s y se detuvo",
            "la entrada puede ser demasiado grande o estar dañada",
        ) from exc
    except BaseException:  # an interruption (Ctrl+C, SIGTERM) or any error: the child must not go on alone
        _kill(proc)
        proc.wait()
        raise
    finally:
        with _LIVE_LOCK:
            _LIVE.discard(proc)
    stderr = err.decode("utf-8", "replace")
    result = ToolResult(cmd, proc.returncode, out, stderr)
    if check and proc.returncode != 0:
        if memory_mb and _out_of_memory(proc.returncode, stderr):
            raise ToolError(cmd, proc.returncode, stderr,
                            f"{label} se quedó sin memoria (el límite es {memory_mb // 1024} GB) y se detuvo",
                            "la entrada es demasiado grande o está dañada; divídala en partes más pequeñas")
        detail = stderr.strip().splitlines()[-5:] or ["(sin mensaje de error)"]
        raise ToolError(cmd, proc.returncode, stderr, f"{label} falló (código {proc.returncode}): " + " | ".join(detail))
    return result


def _out_of_memory(rc: int, stderr: str) -> bool:
    """Whether a program stopped for lack of memory under its cap (pandoc's heap, an allocation refused)."""
    text = stderr.lower()
    return rc == 251 or "heap exhausted" in text or "out of memory" in text or "cannot allocate memory" in text \
        or "memoryerror" in text or "std::bad_alloc" in text


@functools.cache
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


def libreoffice_convert(source: Path, extension: str, work: Path, what: str) -> Path:
    """Convert an office document with LibreOffice (headless, a private profile in work): return the new file.
    Used where LibreOffice's own filters are the reference (tracked changes from DOCX to ODT)."""
    program = find_program("soffice") or find_program("libreoffice")
    if program is None:
        raise ToolError(["soffice"], None, "", f"{what}: falta LibreOffice", install_hint("soffice"))
    out = work / "convertido"
    run_tool([program, "--headless", "--norestore", f"-env:UserInstallation={(work / 'perfil-libreoffice').as_uri()}",
              "--convert-to", extension, "--outdir", str(out), str(source)], timeout=300, what=what, memory_mb=4096)
    produced = out / f"{source.stem}.{extension}"
    if not produced.is_file() or produced.stat().st_size == 0:
        raise ToolError(["soffice"], None, "", f"{what}: LibreOffice no escribió {produced.name}")
    return produced
