"""Entry point: `python build.py [orden] [opciones]`. All logic lives in imprenta.cli."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import imprenta.cli  # noqa: E402

raise SystemExit(imprenta.cli.main())
