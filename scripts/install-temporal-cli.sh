#!/usr/bin/env bash
# Builds the Temporal CLI (dev server + Web UI) from the Go module proxy into .tools/bin, once.
# v1.5.1 is the newest tag without a `replace` directive, so the newest one `go install` accepts.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="1.5.1"
bin_dir="$root/.tools/bin"
target="$bin_dir/temporal"

if [[ -n "${TEMPORAL_CLI_PATH:-}" ]]; then
  [[ -x "$TEMPORAL_CLI_PATH" ]] || { echo "error: TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH is not an executable file" >&2; exit 1; }
  echo "temporal CLI: using TEMPORAL_CLI_PATH=$TEMPORAL_CLI_PATH"
  exit 0
fi
if [[ -x "$target" ]] && "$target" --version 2>/dev/null | grep -q "$version"; then
  echo "temporal CLI: $target (present)"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "error: Go (>= 1.25) is required to build the Temporal CLI; install Go or set TEMPORAL_CLI_PATH" >&2; exit 1; }

echo "temporal CLI: building v$version with go install (first time only, takes a few minutes)..."
mkdir -p "$bin_dir"
CGO_ENABLED=0 GOBIN="$bin_dir" GOFLAGS="${GOFLAGS:-} -mod=mod" go install \
  -ldflags "-s -w -X github.com/temporalio/cli/temporalcli.Version=$version" \
  "github.com/temporalio/cli/cmd/temporal@v$version"
"$target" --version
