#!/usr/bin/env bash
# Sets up everything Loupe needs on a Debian/Ubuntu machine (or macOS), then fetches the models.
#   Weights/setup.sh            OpenBLAS (optional backend) + SmolLM2 + Gemma 3
#   Weights/setup.sh smollm2    OpenBLAS + SmolLM2 only
# Idempotent: what is already there is checked, not fetched again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ "$(uname)" = Linux ] && command -v apt-get >/dev/null; then
  missing=()
  [ -e /usr/include/x86_64-linux-gnu/cblas.h ] || [ -e /usr/include/cblas.h ] \
    || ls /usr/lib/*/libopenblas.so* >/dev/null 2>&1 || missing+=(libopenblas-dev)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  command -v python3 >/dev/null || missing+=(python3)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

"$here/fetch.sh" "${@:-all}"
