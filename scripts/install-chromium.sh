#!/usr/bin/env bash
# Installs Debian's Chromium for the Web UI browser test, once. The test drives it with playwright-core,
# which ships no browser of its own.
set -euo pipefail
target="/usr/bin/chromium"

if [[ -x "$target" ]]; then
  echo "chromium: $target (present)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "error: $target is missing and apt-get is unavailable; install Chromium so that $target exists" >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "error: $target is missing and installing it needs root (run: sudo bash $0)" >&2
  exit 1
fi

echo "chromium: installing Debian's chromium package (first time only)..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Recommends would pull in desktop daemons; fonts-liberation is the one that matters for screenshots.
apt-get install -y -qq --no-install-recommends chromium fonts-liberation
[[ -x "$target" ]] || { echo "error: the chromium package installed but $target is missing" >&2; exit 1; }
echo "chromium: $("$target" --version 2>/dev/null || echo "$target")"
