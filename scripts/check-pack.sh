#!/usr/bin/env bash
# Packaging check: the `npm pack` tarball installs into an empty folder and the installed CLI runs from there.
# Its dependencies come from the local npm cache when they are there (npm ci just filled it), else the registry.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/talform-pack-XXXXXX")"
trap 'rm -rf "$work"' EXIT

cd "$root"
tarball="$(npm pack --silent --pack-destination "$work" | tail -n 1)"
echo "packed $tarball ($(du -k "$work/$tarball" | cut -f1) KiB)"

mkdir "$work/app"
cd "$work/app"
npm install --silent --no-audit --no-fund --prefer-offline "$work/$tarball"
bin="$work/app/node_modules/.bin/talform"

"$bin" --help | grep -q "^Usage: talform" || { echo "talform --help from the installed tarball failed" >&2; exit 1; }
"$bin" --version
"$bin" completion bash | bash -n
# `talform controller` loads @kubernetes/client-node from its own bundle (dist/cli-bundle/kube-client-node.cjs): a
# kubeconfig without a cluster is refused by the code that reads it, with exit 1.
printf 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' >"$work/kubeconfig"
set +e
out="$("$bin" controller --kubeconfig "$work/kubeconfig" --metrics-listen 127.0.0.1:0 2>&1)"
code=$?
set -e
if [ "$code" != 1 ] || ! grep -q "no cluster to connect to" <<<"$out"; then
  echo "talform controller from the installed tarball: exit $code, expected 1 (kubeconfig without a cluster):" >&2
  echo "$out" >&2
  exit 1
fi
# The demo is part of the first five minutes: it must run from the installed package too (it needs nothing but Node).
if "$bin" --help | grep -q "^  demo "; then
  "$bin" demo >"$work/demo.log" 2>&1 || { cat "$work/demo.log" >&2; echo "talform demo from the installed tarball failed" >&2; exit 1; }
  echo "talform demo from the installed tarball: ok"
fi
echo "installed tarball runs: ok"
