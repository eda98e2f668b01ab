#!/usr/bin/env bash
# Creates the Python environment the cross-language tests use, in .tools/python, once: schemathesis (the
# HTTP API fuzzer), temporalio (the Python SDK that proves the workflow contract) and jsonschema (which
# checks its payloads against docs/contract.json). Pinned; the stamp file, written last, holds the pins,
# so a second run is a no-op, an interrupted one starts over and a change of pins rebuilds it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.tools/python"
pins="schemathesis==4.32.5 temporalio==1.35.0 jsonschema==4.26.0"
stamp="$venv/.pins"

present() { [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$pins" ]]; }
if present; then
  echo "python tools: $venv (present)"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || { echo "error: python3 (>= 3.10) is required for the Python tools" >&2; exit 1; }
mkdir -p "$root/.tools"
# Two checkouts sharing .tools may both get here: the second waits, then finds it present.
exec 9>"$root/.tools/python.lock"
flock 9
if present; then
  echo "python tools: $venv (present)"
  exit 0
fi
echo "python tools: creating $venv with $pins (first time only, about a minute)..."
rm -rf "$venv"
python3 -m venv "$venv"
# shellcheck disable=SC2086 # the pins are words
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins
"$venv/bin/python" -c "import temporalio, schemathesis, jsonschema"
echo "$pins" >"$stamp"
echo "python tools: ready"
