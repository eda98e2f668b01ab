#!/usr/bin/env bash
# Builds the Temporal server (all four services in one binary) and its SQL schema tool from the Go module
# proxy into .tools/cluster/bin, once, and installs Debian's PostgreSQL 15 when its binaries are missing.
# v1.29.1 is the server inside CLI 1.5.1, so the module cache that built the CLI already holds most of it.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
version="1.29.1"
bin_dir="$root/.tools/cluster/bin"
pg_bin="${CLUSTER_PG_BIN:-/usr/lib/postgresql/15/bin}"

build() {
  local name="$1" package="$2"
  local stamp="$bin_dir/.$name.version"
  if [[ -x "$bin_dir/$name" && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
    echo "cluster: $bin_dir/$name v$version (present)"
    return
  fi
  command -v go >/dev/null 2>&1 || { echo "error: Go (>= 1.25) is required to build the Temporal server" >&2; exit 1; }
  echo "cluster: building $name v$version with go install (first time only, takes a few minutes)..."
  mkdir -p "$bin_dir"
  CGO_ENABLED=0 GOBIN="$bin_dir" GOFLAGS="${GOFLAGS:-} -mod=mod" go install -ldflags "-s -w" "$package@v$version"
  echo "$version" >"$stamp"
}

build server go.temporal.io/server/cmd/server
build sql go.temporal.io/server/cmd/tools/sql

# The schemas ship inside the server module; a copy beside the binaries outlives a cleaned module cache.
schema_dir="$root/.tools/cluster/schema/postgresql/v12"
if [[ ! -f "$schema_dir/.version" || "$(cat "$schema_dir/.version")" != "$version" ]]; then
  module_dir="$(go env GOMODCACHE)/go.temporal.io/server@v$version"
  [[ -d "$module_dir/schema" ]] || go mod download "go.temporal.io/server@v$version"
  rm -rf "$schema_dir" && mkdir -p "$(dirname "$schema_dir")"
  cp -R "$module_dir/schema/postgresql/v12" "$schema_dir"
  chmod -R u+w "$schema_dir"
  echo "$version" >"$schema_dir/.version"
fi

if [[ ! -x "$pg_bin/postgres" || ! -x "$pg_bin/initdb" || ! -x "$pg_bin/pg_ctl" ]]; then
  if [[ -n "${CLUSTER_PG_BIN:-}" ]]; then
    echo "error: CLUSTER_PG_BIN=$pg_bin has no postgres, initdb and pg_ctl" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: PostgreSQL 15 is missing from $pg_bin and apt-get is unavailable; install PostgreSQL 15 and set CLUSTER_PG_BIN to its bin folder" >&2
    exit 1
  fi
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "error: PostgreSQL 15 is missing from $pg_bin and installing it needs root (run: sudo bash $0), or set CLUSTER_PG_BIN" >&2
    exit 1
  fi
  echo "cluster: installing Debian's postgresql-15 (first time only)..."
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$(mktemp)"
  if ! { apt-get update -qq && apt-get install -y -qq postgresql-15; } >"$apt_log" 2>&1; then
    echo "error: apt-get could not install postgresql-15 (is the Debian mirror reachable?):" >&2
    tail -n 5 "$apt_log" >&2
    rm -f "$apt_log"
    exit 1
  fi
  rm -f "$apt_log"
  # The package's own cluster is not ours: the project runs a private one on its own port.
  if command -v pg_ctlcluster >/dev/null 2>&1; then pg_ctlcluster 15 main stop 2>/dev/null || true; fi
fi
echo "cluster: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $pg_bin"
