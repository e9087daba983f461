"""An MkDocs config as the master: its `nav` is the list of parts, in Markdown that Imprenta writes.

MkDocs projects keep the reading order in the config, not in a page. The config is read as MkDocs reads it
(`INHERIT` merged under it, `docs_dir` relative to the config, `site_name` as the title), and its `nav` becomes
a nested Markdown list: a page is a link (its nav title the part's title when the page has no H1 of its own), a
section a group title with its pages under it, an external address a notice. Each line of that list maps to the
line of the config it came from, so every problem about a part points at the config's line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from ..document import SourceFile
from ..errors import ConfigError, Location, Problems, display_path
from .anchors import URL_SCHEME

SUFFIXES = (".yml", ".yaml")


class _Loader(yaml.SafeLoader):
    """YAML as MkDocs configs write it: tags such as `!!python/name:...` or `!ENV` are read as plain values."""


def _any_tag(loader: _Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_Loader.add_multi_constructor("!", _any_tag)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _any_tag)


@dataclass
class MkDocsSite:
    """What Imprenta takes from an MkDocs config."""

    config: Path
    docs_dir: Path
    site_name: str
    master: SourceFile  # the nav as a Markdown list of parts, lines mapped to the config's
    skipped: list[tuple[int, str, str]] = field(default_factory=list)  # (line, title, address) of external entries


def is_config(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


def _load(path: Path, seen: tuple[Path, ...] = ()) -> tuple[dict[str, Any], dict[str, int]]:
    """The config with INHERIT merged (the child wins, mappings merged deeply) and the line of each nav entry."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"no se pudo leer la configuración de MkDocs {display_path(path)}: {exc.strerror}",
                          "compruebe la ruta que indica --fuente o INHERIT") from exc
    try:
        data = yaml.load(text, Loader=_Loader) or {}  # noqa: S506 - a SafeLoader that reads unknown tags as values
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display_path(path)}:{mark.line + 1}" if mark else display_path(path)
        raise ConfigError(f"{where}: la configuración de MkDocs no es YAML válido: {getattr(exc, 'problem', exc)}",
                          "compruebe la sangría y los dos puntos de esa línea") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{display_path(path)}: la configuración de MkDocs no es un mapa de claves",
                          "una configuración de MkDocs empieza con claves como site_name: y nav:")
    parent = data.pop("INHERIT", None)
    if parent:
        base_path = (path.parent / str(parent)).resolve()
        if base_path in seen:
            raise ConfigError(f"{display_path(path)}: INHERIT forma un ciclo con {display_path(base_path)}",
                              "quite la herencia circular")
        base, _ = _load(base_path, (*seen, path.resolve()))
        data = _merge(base, data)
    return data, _nav_lines(text)


def _merge(base: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in child.items():
        merged[key] = _merge(merged[key], value) if isinstance(value, dict) and isinstance(merged.get(key), dict) else value
    return merged


def _nav_lines(text: str) -> dict[str, int]:
    """Line of the first `- ...` entry that names each target or title under `nav:` (for messages)."""
    lines: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.split("\n"), start=1):
        if re.match(r"^nav\s*:", line):
            inside = True
            continue
        if inside and line and not line[0].isspace() and not line.startswith(("-", "#")):
            inside = False
        if inside:
            match = re.match(r"^\s*-\s*(?:(['\"]?)(.*?)\1\s*:\s*(.*?)\s*$|(.*?)\s*$)", line)
            if match:
                for key in (match.group(2), match.group(3), match.group(4)):
                    if key:
                        lines.setdefault(key.strip().strip("'\""), number)
    return lines


def read_site(config_path: Path, problems: Problems) -> MkDocsSite:
    """Read an MkDocs config and write its nav as the master's list of parts."""
    data, lines = _load(config_path)
    docs_dir = (config_path.parent / str(data.get("docs_dir", "docs"))).resolve()
    if not docs_dir.is_dir():
        raise ConfigError(f"{display_path(config_path)}: no existe la carpeta de documentos {display_path(docs_dir)}",
                          "compruebe docs_dir en la configuración (por defecto, docs/ junto a ella)")
    site_name = str(data.get("site_name") or config_path.stem)
    nav = data.get("nav")
    markdown: list[str] = []
    line_map: list[int] = []
    skipped: list[tuple[int, str, str]] = []

    def emit(text: str, line: int) -> None:
        markdown.append(text)
        line_map.append(line)

    def link(target: str) -> str:
        relative = Path(docs_dir / target).resolve()
        try:
            shown = relative.relative_to(config_path.parent.resolve()).as_posix()
        except ValueError:
            shown = relative.as_posix()
        return quote(shown, safe="/._-~")

    def walk(entries: Any, depth: int) -> None:
        for entry in entries if isinstance(entries, list) else [entries]:
            indent = "    " * depth
            if isinstance(entry, str):
                title, target = "", entry
            elif isinstance(entry, dict) and len(entry) == 1:
                title, target = next(iter(entry.items()))
                title = str(title)
            else:
                problems.warning(Location(config_path, 1), f"entrada de nav que no se entiende: {entry!r}",
                                 "mkdocs.nav", "cada entrada es «- archivo.md», «- Título: archivo.md» o una sección")
                continue
            line = lines.get(title) or lines.get(str(target)) or 1
            if isinstance(target, list):
                emit(f"{indent}- {title or 'Sección'}", line)
                walk(target, depth + 1)
            elif URL_SCHEME.match(str(target)):
                skipped.append((line, title, str(target)))
            else:
                text = title.replace("[", "\\[").replace("]", "\\]") or Path(str(target)).stem
                emit(f"{indent}- [{text}]({link(str(target))})", line)

    if nav is None:  # MkDocs then lists every page of docs_dir in file order
        nav = sorted(p.relative_to(docs_dir).as_posix() for p in docs_dir.rglob("*.md"))
    walk(nav, 0)
    if not markdown:
        raise ConfigError(f"{display_path(config_path)}: el nav no lista ninguna página",
                          "añada las páginas bajo nav:, en el orden de lectura")
    master = SourceFile(path=config_path, text="\n".join(markdown) + "\n", line_map=[*line_map, line_map[-1]])
    return MkDocsSite(config_path, docs_dir, site_name, master, skipped)
