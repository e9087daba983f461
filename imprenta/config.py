"""The build configuration: one typed object with every default in one place; paths resolve against the root."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FORMAT_NAMES = ("pdf", "docx")


@dataclass
class Config:
    """Everything a build needs to know besides the sources themselves."""

    root: Path = field(default_factory=Path.cwd)
    master: Path = Path("fuente/plan.md")
    output_dir: Path = Path("salida")
    templates_dir: Path = Path("plantillas")
    cache_dir: Path = Path(".cache")
    formats: tuple[str, ...] = FORMAT_NAMES
    strict: bool = False
    # Rasters are downscaled to at most this resolution at their printed width.
    max_dpi: int = 300
    # A checked certificate (signing.Credentials) when the PDF is to be signed; the box on the colophon or not.
    signature: Any = None
    visible_signature: bool = False

    def template_files(self) -> list[Path]:
        """Every file of plantillas/ (hidden ones aside): what a build's look depends on."""
        return [p for p in self.templates_dir.rglob("*") if p.is_file() and not p.name.startswith(".")]

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        env_cache = os.environ.get("IMPRENTA_CACHE")
        if env_cache and self.cache_dir == Path(".cache"):
            self.cache_dir = Path(env_cache)
        for name in ("master", "output_dir", "templates_dir", "cache_dir"):
            value: Path = getattr(self, name)
            setattr(self, name, value if value.is_absolute() else (self.root / value).resolve())
