#!/usr/bin/env bash
# Instala todo lo que Imprenta necesita (paquetes de Debian que falten, entorno .venv) y compila el plan.
# Uso: bash instalar.sh            instala y compila salida/plan.pdf y salida/plan.docx
#      bash instalar.sh --sin-compilar   solo instala
set -euo pipefail
cd "$(dirname "$0")"

# One list, shared with Imprenta's install hints: the first word of each line of imprenta/paquetes-debian.txt.
# Lines marked @pruebas are only for the test suite (IMPRENTA_EXTRAS=pruebas, as probar.sh sets it).
if [[ "${IMPRENTA_EXTRAS:-}" == *pruebas* ]]; then selection='NF'; else selection='NF && !/@pruebas/'; fi
mapfile -t DEBIAN_PACKAGES < <(grep -v '^#' imprenta/paquetes-debian.txt | awk "$selection {print \$1}")

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
for line in "${DEBIAN_PACKAGES[@]}"; do
  # "a|b": either will do; none installed and none asked for by another line: install a.
  IFS='|' read -r -a choices <<< "$line"
  satisfied=""
  for pkg in "${choices[@]}"; do
    if installed "$pkg"; then satisfied=1; fi
    if [ "${#choices[@]}" -gt 1 ] && printf '%s\n' "${DEBIAN_PACKAGES[@]}" | grep -qx "$pkg"; then satisfied=1; fi
  done
  [ -n "$satisfied" ] || missing+=("${choices[0]}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Instalando paquetes de Debian: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
    echo "error: faltan paquetes de Debian (${missing[*]}) y no hay permisos para instalarlos" >&2
    echo "    sugerencia: pida a un administrador: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "Creando el entorno .venv"
  python3 -m venv .venv
fi
# pip solo se ejecuta cuando cambian las dependencias declaradas (así la orden es rápida si ya está todo).
extras="${IMPRENTA_EXTRAS:-}"
stamp=".venv/.imprenta-instalado"
want="$(sha256sum pyproject.toml | cut -d' ' -f1) ${extras}"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "Instalando Imprenta y sus dependencias de Python en .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras:+[$extras]}"
  echo "$want" > "$stamp"
fi

if [ "${1:-}" != "--sin-compilar" ]; then
  .venv/bin/python build.py
fi
