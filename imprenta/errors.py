"""The exception hierarchy and the collector of located problems (errors and warnings)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger("imprenta.problemas")


class ImprentaError(Exception):
    """Root of every expected failure; the CLI catches it once and prints it without a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(ImprentaError):
    """A wrong option or setting."""


class ImageError(ImprentaError):
    """An image that cannot be read or converted."""


class LayoutError(ImprentaError):
    """The PDF could not be laid out as the template asks (a resource it cannot load, page numbers that never settle)."""


class ToolError(ImprentaError):
    """An external program failed; keeps its command, exit code and stderr."""

    def __init__(self, cmd: list[str], rc: int | None, stderr: str, message: str, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.cmd = cmd
        self.rc = rc
        self.stderr = stderr


class BuildFailed(ImprentaError):
    """Raised once after every problem of a stage has been collected (the CLI prints them, then this)."""

    def __init__(self, problems: Problems) -> None:
        n = problems.error_count
        noun = "error" if n == 1 else "errores"
        super().__init__(
            f"la compilación se detuvo: {n} {noun}; no se escribió nada en la salida",
            "corrija los problemas listados arriba y vuelva a compilar",
        )
        self.problems = problems


def display_path(path: Path) -> str:
    """A path as the user should read it: relative to the working directory when possible."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


@dataclass(frozen=True)
class Location:
    """A place in a source file (1-based line)."""

    path: Path
    line: int = 1

    def __str__(self) -> str:
        return f"{display_path(self.path)}:{self.line}"


@dataclass
class Problem:
    """One reported problem: where, what, how to fix it, and a stable code."""

    location: Location
    severity: str  # "error" or "aviso"
    message: str
    code: str
    hint: str | None = None

    def render(self) -> str:
        text = f"{self.location}: {self.severity}: {self.message} [{self.code}]"
        if self.hint:
            text += f"\n    sugerencia: {self.hint}"
        return text


@dataclass
class Problems:
    """Collects every problem of a build so that all are listed before it stops.

    Collecting never prints: the stage boundaries and the command line call report(), which prints each
    problem not yet printed, once, in the order found.
    """

    strict: bool = False
    items: list[Problem] = field(default_factory=list)
    _seen: set[tuple[object, ...]] = field(default_factory=set, repr=False)  # a long document has thousands
    _reported: int = field(default=0, repr=False)

    def error(self, location: Location, message: str, code: str, hint: str | None = None) -> None:
        self._add(Problem(location, "error", message, code, hint))

    def warning(self, location: Location, message: str, code: str, hint: str | None = None) -> None:
        self._add(Problem(location, "aviso", message, code, hint))

    def _add(self, problem: Problem) -> None:
        key = (problem.location, problem.severity, problem.message, problem.code, problem.hint)
        if key in self._seen:
            return
        self._seen.add(key)
        self.items.append(problem)

    def report(self) -> None:
        """Print the problems found since the last report, each exactly once."""
        for problem in self.items[self._reported:]:
            log.log(logging.ERROR if problem.severity == "error" else logging.WARNING, problem.render())
        self._reported = len(self.items)

    @property
    def error_count(self) -> int:
        counted = ("error", "aviso") if self.strict else ("error",)
        return sum(1 for p in self.items if p.severity in counted)

    @property
    def warning_count(self) -> int:
        return sum(1 for p in self.items if p.severity == "aviso")

    def stop_if_errors(self) -> None:
        """Stop the build once, after the stage has reported everything it found."""
        if self.error_count:
            raise BuildFailed(self)
