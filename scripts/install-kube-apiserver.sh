#!/usr/bin/env bash
# Installs kube-apiserver for the k8s suite (`npm run test:k8s`, test-k8s/) into the same git-ignored cache as the
# oracles: the real API server of k8s.io/kubernetes with an embedded etcd, built from the pinned wrapper module
# conformance/oracle/tools/kube-apiserver (docs/controller.md, "Testing against a real API server").
# Idempotent: rebuilt only when its stamp (version, go.mod/go.sum/main.go hash, Go version) changed. A cold build
# takes long (k8s.io/kubernetes is big); it fails (non-zero) when Go or a module cannot be had.
# Override the destination with TALFORM_ORACLE_BIN_DIR (the test harness reads the same variable).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
MODULE=conformance/oracle/tools/kube-apiserver
# The version is the one the wrapper module requires; kubectl (install-oracles.sh) is the same release.
KUBE_APISERVER_VERSION=$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$MODULE/go.mod")
BIN_DIR=${TALFORM_ORACLE_BIN_DIR:-$ROOT/.cache/bin}
mkdir -p "$BIN_DIR"

INSTALL_NAME=install-kube-apiserver
# shellcheck source=lib/install-tool.sh
. "$ROOT/scripts/lib/install-tool.sh"

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.26, https://go.dev/dl/); the k8s suite cannot run without it"
GO_VERSION=$(go env GOVERSION)
export GOFLAGS="-buildvcs=false -trimpath"

build_kube_apiserver() {
  # GOWORK=off: the wrapper's go.mod (the staging replaces) is the whole build description. The ldflags set the
  # version the server reports on /version (kubectl compares it with its own).
  (cd "$ROOT/$MODULE" &&
    GOWORK=off go build \
      -ldflags "-X k8s.io/component-base/version.gitVersion=$KUBE_APISERVER_VERSION -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_APISERVER_VERSION" \
      -o "$OUT" .)
}

STAMP="kube-apiserver $KUBE_APISERVER_VERSION $(hash_files $MODULE/go.mod $MODULE/go.sum $MODULE/main.go) $GO_VERSION"
started=$SECONDS
echo "install-kube-apiserver: $GO_VERSION, into $BIN_DIR"
install kube-apiserver "$STAMP" build_kube_apiserver
echo "install-kube-apiserver: done in $((SECONDS - started))s"
