#!/usr/bin/env bash
# Set up audiomancer on a Debian machine, idempotently: Debian engines, a virtual environment,
# the package. Quick when already done.
#   scripts/setup.sh          runtime: SuperCollider (sclang, scsynth) + the package
#   scripts/setup.sh --dev    also Tidal (ghc + libghc-tidal-dev), Chromium (studio tests in a
#                             real browser, driven by Playwright) and the dev/test tools
set -euo pipefail
cd "$(dirname "$0")/.."

RUNTIME_DEBS=(supercollider-language supercollider-server sc3-plugins-language sc3-plugins-server)
TEST_DEBS=(ghc libghc-tidal-dev chromium)
dev=0
[[ "${1:-}" == "--dev" ]] && dev=1

debs=("${RUNTIME_DEBS[@]}")
(( dev )) && debs+=("${TEST_DEBS[@]}")

missing=()
for pkg in "${debs[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if (( ${#missing[@]} )); then
    echo "setup: installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [[ "$(id -u)" != 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
[[ -x .venv/bin/python ]] || "$PY" -m venv .venv
extra=""
(( dev )) && extra="[dev]"
stamp=".venv/.audiomancer-installed${extra}"
if [[ ! -f "$stamp" || pyproject.toml -nt "$stamp" ]]; then
    echo "setup: installing the package${extra} into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".${extra}"
    touch "$stamp"
fi
