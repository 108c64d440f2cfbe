# Shared by scripts/install-oracles.sh and scripts/install-kube-apiserver.sh (sourced, not run): build a Go tool into
# BIN_DIR once per stamp. The caller sets BIN_DIR and a `die` prefix via INSTALL_NAME.
# shellcheck shell=bash

die() { echo "${INSTALL_NAME:-install}: $*" >&2; exit 1; }

if command -v sha256sum >/dev/null 2>&1; then sha256() { sha256sum; }; else sha256() { shasum -a 256; }; fi
hash_files() { cat "$@" | sha256 | cut -d' ' -f1; }

# install NAME STAMP COMMAND...: runs COMMAND (which must write "$OUT") unless BIN_DIR/NAME exists with the same
# stamp, then moves the result into place, so an interrupted build never leaves a half-written binary behind.
install() {
  local name=$1 stamp=$2
  shift 2
  local bin=$BIN_DIR/$name stampfile=$BIN_DIR/.$name.stamp
  if [ -x "$bin" ] && [ -f "$stampfile" ] && [ "$(cat "$stampfile")" = "$stamp" ]; then
    echo "  $name: up to date ($stamp)"
    return
  fi
  local t0=$SECONDS tmp
  tmp=$(mktemp -d "$BIN_DIR/.build-$name.XXXXXX")
  echo "  $name: building ($stamp)…"
  if ! OUT=$tmp/$name "$@"; then
    rm -rf "$tmp"
    die "building $name failed (see the go output above); check network access to the Go module proxy ($(go env GOPROXY))"
  fi
  mv -f "$tmp/$name" "$bin"
  rm -rf "$tmp"
  echo "$stamp" >"$stampfile"
  echo "  $name: installed in $((SECONDS - t0))s -> $bin"
}
