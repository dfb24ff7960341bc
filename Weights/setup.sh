#!/usr/bin/env bash
# Sets up everything Loupe needs on a Debian/Ubuntu machine (or macOS), then fetches the models.
#   Weights/setup.sh            OpenBLAS (optional backend) + SmolLM2 + Gemma 3
#   Weights/setup.sh smollm2    OpenBLAS + SmolLM2 only
#   Weights/setup.sh --tests    also what the test suite uses: headless Chromium (report tests),
#                               llama.cpp's vocabulary test files and grammars (Weights/llama.cpp),
#                               Python's jsonschema, openai, playwright and websocket-client
#                               packages (grammar, server and web page tests; playwright drives
#                               Debian's chromium), and firefox-esr (the page's Firefox check,
#                               driven over WebDriver BiDi by Tests/GlassBoxTests/firefox_bidi.py)
# Idempotent: what is already there is checked, not fetched again.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

tests=no
models=()
for arg in "$@"; do
  case "$arg" in
    --tests) tests=yes ;;
    *) models+=("$arg") ;;
  esac
done

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
  # The report tests render HTML in a real browser; without one they are skipped, not failed.
  if [ "$tests" = yes ] && ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then
    echo "setup: installing chromium (for the report tests)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 \
      || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1; } \
      || echo "setup: chromium is not installable here; the report tests will be skipped" >&2
  fi
  # The web page test also runs the page in Firefox ESR when it is there (no geckodriver needed).
  if [ "$tests" = yes ] && ! command -v firefox-esr >/dev/null && ! command -v firefox >/dev/null; then
    echo "setup: installing firefox-esr (for the web page test)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null 2>&1 \
      || { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null 2>&1; } \
      || echo "setup: firefox-esr is not installable here; the page's Firefox check will be skipped" >&2
  fi
fi

"$here/fetch.sh" "${models[@]:-all}"

if [ "$tests" = yes ]; then
  "$here/fetch.sh" llama.cpp
  # Python tools the tests drive: a JSON Schema validator and the official OpenAI client.
  if ! python3 -c 'import jsonschema, openai, playwright, websocket' 2>/dev/null; then
    echo "setup: installing Python's jsonschema, openai, playwright and websocket-client (for the grammar, server and web tests)"
    python3 -m pip install --quiet --disable-pip-version-check jsonschema openai playwright websocket-client 2>/dev/null \
      || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages jsonschema openai playwright websocket-client
  fi
fi
