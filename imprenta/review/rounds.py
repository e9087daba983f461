"""Rounds of the consultation: which version a returned file annotates (the stamp Imprenta put in its copy), that
version's sources from git to locate its observations in, the text that was sent (to find edits made without
tracking), and where each annotated passage stands in the current sources."""

from __future__ import annotations

import dataclasses
import logging
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import Config
from ..document import Document, SourceFile
from ..errors import ImprentaError, Problems
from ..identity import Identity, identify
from ..importing.prepare import visible_text
from ..tools import find_program, run_tool
from .observations import Observation, W, _words, plain_lines
from .returned import Returned

log = logging.getLogger(__name__)
HEX = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass
class Round:
    """A version that was sent for consultation: its sources, read, and the paragraphs of the copy sent."""

    version: str
    revision: str
    doc: Document
    identity: Identity
    sent: list[str] | None = None


@dataclass
class Rounds:
    """The rounds met in one collection, each read once."""

    config: Config
    current: Document
    current_identity: Identity
    work: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="imprenta-rondas-")))
    known: dict[str, Round | None] = field(default_factory=dict)

    def of(self, returned: Returned) -> Round | None:
        """The round a returned file answers, or None when it names no version that was sent."""
        revision = returned.revision
        digest = returned.properties.get("huella_fuentes", "")
        if digest and digest == self.current_identity.digest:  # the sources as they are now, in git or not
            return Round(returned.properties.get("version", ""), revision, self.current, self.current_identity)
        if not HEX.match(revision):
            return None
        if revision not in self.known:
            self.known[revision] = self._read(revision, returned)
        return self.known[revision]

    def _read(self, revision: str, returned: Returned) -> Round | None:
        current = self.current_identity.revision.split(" ")[0]
        dirty = " " in self.current_identity.revision
        version = returned.properties.get("version", "")
        if current and not dirty and (current.startswith(revision) or revision.startswith(current)):
            return Round(version, revision, self.current, self.current_identity)
        git = find_program("git")
        if git is None or run_tool([git, "-C", str(self.config.master.parent), "rev-parse", "--verify", "--quiet",
                                    f"{revision}^{{commit}}"], check=False, what="git").rc != 0:
            return None
        from .versions import _read_version

        try:
            doc = _read_version(self.config, revision, self.work / revision)
        except ImprentaError as exc:
            log.warning("no se pudo leer la versión %s: %s", revision, exc.message)
            return None
        identity = dataclasses.replace(identify(doc), revision=returned.properties.get("revision_fuentes", revision),
                                       digest=returned.properties.get("huella_fuentes", ""))
        return Round(version, revision, doc, identity)

    def sent_paragraphs(self, round_: Round) -> list[str]:
        """The body paragraphs of the annotation copy of that version, made again as it was sent."""
        if round_.sent is None:
            from ..cache import Cache
            from ..pipeline import BuildResult, render

            with Cache(self.config.cache_dir).workdir() as stage:
                staged = render(round_.doc, round_.identity, self.config, ("revision",), Problems(), stage,
                                BuildResult())
                round_.sent = docx_paragraphs(staged["revision"].read_bytes())
        return round_.sent


def docx_paragraphs(data: bytes, original: bool = False) -> list[str]:
    """The body paragraphs of a DOCX; with original, as before its tracked changes (insertions out, deletions in)."""
    import io
    import zipfile

    from .. import safexml
    from ..importing.officefile import read_member

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = safexml.fromstring(read_member(archive, "word/document.xml", limit=64 * 1024 * 1024))
    return [visible_text(p, "rechazar" if original else "aceptar") for p in root.iter(f"{W}p")]


def untracked_edits(sent: list[str], returned: list[str]) -> list[tuple[str, str]]:
    """(text sent, text returned) for each run of paragraphs that differs once the entity's tracked changes are
    undone: what was edited with tracking switched off."""
    import difflib

    a = [" ".join(p.split()) for p in sent if p.strip()]
    b = [" ".join(p.split()) for p in returned if p.strip()]
    edits = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            edits.append(("\n".join(a[i1:i2]), "\n".join(b[j1:j2])))
    return edits


class SourceText:
    """The current sources, each line as its lower-case words: computed once per run, searched for every
    observation."""

    def __init__(self, doc: Document, root: Path) -> None:
        self.root = root
        self.lines = [(source, plain_lines(source)) for source in doc.sources]
        self.joined = [(source, " ".join(lines)) for source, lines in self.lines]

    def find(self, words: list[str], sizes: tuple[int, ...] = (6, 4)) -> tuple[SourceFile, int] | None:
        """The first line holding a run of `size` of the words (longest runs tried first)."""
        for size in sizes:
            for start in range(0, max(1, len(words) - size + 1), size):
                key = " ".join(words[start:start + size])
                for source, lines in self.lines:
                    for number, plain in enumerate(lines, start=1):
                        if key and key in plain:
                            return source, number
        return None

    def where(self, source: SourceFile, line: int) -> str:
        return f"{_relative(source.path, self.root)}:{line}"


def carry(observation: Observation, text: SourceText, same_round: bool) -> tuple[str, str]:
    """Where the annotated passage is in the current sources, and whether it changed: (file:line, state)."""
    if same_round:
        return shown(observation, text.root), "sin cambios"
    words = _words(observation.paragraph or observation.anchored or observation.text)
    if not words:
        return "", "no se puede ubicar"
    whole = " ".join(words)
    for source, joined in text.joined:
        if whole in joined:
            found = text.find(words[:6], (min(6, len(words)),)) or (source, 1)
            return text.where(*found), "sin cambios"
    found = text.find(words)
    return (text.where(*found), "cambió desde entonces") if found else ("", "ya no existe")


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def shown(observation: Observation, root: Path) -> str:
    """An observation's source as file:line relative to root ("" when it has none)."""
    if observation.source is None:
        return ""
    return f"{_relative(observation.source.path, root)}:{observation.source.line}"
