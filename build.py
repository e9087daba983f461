"""Entry point: `python build.py [orden] [opciones]`. All logic lives in imprenta.cli."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import imprenta.cli  # noqa: E402

if __name__ == "__main__":  # worker processes of the PDF layout import this file too, and must not build
    raise SystemExit(imprenta.cli.main())
