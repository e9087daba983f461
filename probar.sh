#!/usr/bin/env bash
# Ejecuta todas las pruebas (instala antes lo que falte, incluidas las dependencias de prueba).
set -euo pipefail
cd "$(dirname "$0")"
IMPRENTA_EXTRAS=pruebas bash instalar.sh --sin-compilar
exec .venv/bin/python -m pytest "$@"
