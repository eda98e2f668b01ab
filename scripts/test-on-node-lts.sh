#!/usr/bin/env bash
# Runs the Jest suite on the Node LTS that the container image runs on (installed by
# scripts/install-node-lts.sh), with that Node first on PATH so that every process a test starts uses it
# too. Run it after `npm test` (which installs the servers and checks types and lint, neither of which
# depends on the Node version). Arguments go to Jest, e.g. a test file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$(bash "$root/scripts/install-node-lts.sh")"
cd "$root"
echo "jest on $("$bin/node" --version)" >&2
PATH="$bin:$PATH" exec "$bin/node" node_modules/jest/bin/jest.js "$@"
