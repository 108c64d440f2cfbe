#!/usr/bin/env bash
# Installs the conformance suite's reference implementations ("oracles") into a git-ignored cache:
#   talos-oracle  our Go program on Talos machinery (conformance/oracle), go build
#   sops          getsops/sops, go install at a pinned version
#   talhelper     budimanjojo/talhelper, built from the pinned module conformance/oracle/tools/talhelper
#   talosctl      siderolabs/talos's talosctl, built from the pinned module conformance/oracle/tools/talosctl
#   kubectl       k8s.io/kubectl's command tree, built from the pinned module conformance/oracle/tools/kubectl
#   etcdutl       go.etcd.io/etcd/etcdutl, built from the pinned module conformance/oracle/tools/etcdutl
# Idempotent: a tool is rebuilt only when its stamp (version, go.sum hash, Go version) changed.
# Fails (non-zero) when Go or a module cannot be had — the conformance suite never runs without its oracles.
# Override the destination with TALFORM_ORACLE_BIN_DIR (the test helpers read the same variable).
set -euo pipefail

SOPS_VERSION=v3.13.3
TALHELPER_VERSION=v3.1.16
# talosctl's version is the one its wrapper module requires.
TALOSCTL_VERSION=$(awk '$1 == "github.com/siderolabs/talos" { print $2 }' "$(dirname "$0")/../conformance/oracle/tools/talosctl/go.mod")

KUBECTL_VERSION=v1.36.3
# etcdutl's version is the one its wrapper module requires.
ETCDUTL_VERSION=$(awk '$1 == "go.etcd.io/etcd/etcdutl/v3" { print $2 }' "$(dirname "$0")/../conformance/oracle/tools/etcdutl/go.mod")

cd "$(dirname "$0")/.."
ROOT=$PWD
BIN_DIR=${TALFORM_ORACLE_BIN_DIR:-$ROOT/.cache/bin}
mkdir -p "$BIN_DIR"

INSTALL_NAME=install-oracles
# shellcheck source=lib/install-tool.sh
. "$ROOT/scripts/lib/install-tool.sh"

command -v go >/dev/null 2>&1 || die "Go is not installed (need Go >= 1.26, https://go.dev/dl/); the conformance suite cannot run without it"
GO_VERSION=$(go env GOVERSION)

# -buildvcs=false: the oracle sits inside this repository (possibly a git worktree); its VCS state is irrelevant.
export GOFLAGS="-buildvcs=false -trimpath"

started=$SECONDS

build_oracle() {
  (cd "$ROOT/conformance/oracle" && go build -o "$OUT" .)
}

build_sops() {
  # go install writes into GOBIN; the module proxy serves the tagged release with its go.sum checked by sumdb.
  GOBIN=$(dirname "$OUT") go install "github.com/getsops/sops/v3/cmd/sops@$SOPS_VERSION"
}

build_talhelper() {
  # `go install talhelper@version` asks the proxy for @v/list (deprecation check), which this proxy refuses, so we
  # build it as a tool of a pinned module of ours. The ldflag is what talhelper's release build sets for --version.
  (cd "$ROOT/conformance/oracle/tools/talhelper" &&
    go build -ldflags "-X github.com/budimanjojo/talhelper/v3/cmd.version=$TALHELPER_VERSION" \
      -o "$OUT" github.com/budimanjojo/talhelper/v3)
}

build_talosctl() {
  # GOWORK=off: the wrapper module's go.mod (replaces, substitutes, go.sum seeded from Talos's) is the whole build
  # description. The version tag is embedded in the machinery module; without Talos's release ldflags the SHA
  # shows as "undefined" in `talosctl version --client`, which no scenario reads.
  (cd "$ROOT/conformance/oracle/tools/talosctl" &&
    GOWORK=off go build -o "$OUT" github.com/siderolabs/talos/cmd/talosctl)
}

build_kubectl() {
  # k8s.io/kubectl has no main package (cmd/kubectl lives in k8s.io/kubernetes); our module's main.go runs the same
  # command tree. The ldflags set the version kubectl reports (it warns about skew against the server's).
  (cd "$ROOT/conformance/oracle/tools/kubectl" &&
    GOWORK=off go build -ldflags "-X k8s.io/client-go/pkg/version.gitVersion=$KUBECTL_VERSION -X k8s.io/component-base/version.gitVersion=$KUBECTL_VERSION" \
      -o "$OUT" .)
}

build_etcdutl() {
  # Reads snapshots the simulator writes (`snapshot status`, `snapshot restore`): the reader of etcd's own format.
  # The etcdutl module is a main package; the proxy refuses some 3.6 patch releases (3.6.12), so we pin 3.6.16.
  (cd "$ROOT/conformance/oracle/tools/etcdutl" && GOWORK=off go build -o "$OUT" go.etcd.io/etcd/etcdutl/v3)
}

ORACLE_SRC=$(cd conformance/oracle && find . -path ./tools -prune -o \( -name '*.go' -o -name go.mod -o -name go.sum \) -print | LC_ALL=C sort)
ORACLE_STAMP="talos-oracle $(cd conformance/oracle && hash_files $ORACLE_SRC) $GO_VERSION"
TALOSCTL_STAMP="talosctl $TALOSCTL_VERSION $(hash_files conformance/oracle/tools/talosctl/go.mod conformance/oracle/tools/talosctl/go.sum) $GO_VERSION"
TALHELPER_STAMP="talhelper $TALHELPER_VERSION $(hash_files conformance/oracle/tools/talhelper/go.mod conformance/oracle/tools/talhelper/go.sum) $GO_VERSION"
ETCDUTL_STAMP="etcdutl $ETCDUTL_VERSION $(hash_files conformance/oracle/tools/etcdutl/go.mod conformance/oracle/tools/etcdutl/go.sum) $GO_VERSION"
KUBECTL_STAMP="kubectl $KUBECTL_VERSION $(hash_files conformance/oracle/tools/kubectl/go.mod conformance/oracle/tools/kubectl/go.sum conformance/oracle/tools/kubectl/main.go) $GO_VERSION"

echo "install-oracles: $GO_VERSION, into $BIN_DIR"
install talos-oracle "$ORACLE_STAMP" build_oracle
install sops "sops $SOPS_VERSION $GO_VERSION" build_sops
install talhelper "$TALHELPER_STAMP" build_talhelper
install talosctl "$TALOSCTL_STAMP" build_talosctl
install kubectl "$KUBECTL_STAMP" build_kubectl
install etcdutl "$ETCDUTL_STAMP" build_etcdutl
echo "install-oracles: done in $((SECONDS - started))s"
