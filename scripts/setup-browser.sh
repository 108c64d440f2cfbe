#!/usr/bin/env bash
# Installs what the browser suite (browser/, `node scripts/run-tests.mjs browser`) needs: Debian's chromium and a font.
# The test drives the system browser with playwright-core, which never downloads one; the env vars below make sure no
# other tool tries either. Idempotent: does nothing when chromium is already installed.
set -euo pipefail
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 PUPPETEER_SKIP_DOWNLOAD=1
if command -v chromium >/dev/null 2>&1; then
  chromium --version
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no chromium and no apt-get; install Chromium and set TALFORM_CHROMIUM to its path" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# Debian ships chromium only from bookworm-security; `apt-get update` exits 0 even when fetching one source failed
# (a warning), so a transient fetch error leaves no candidate. Retry a few times before giving up.
# The policy text is captured first: `apt-cache … | grep -q` under pipefail fails with SIGPIPE (141) when grep exits at
# the first match while apt-cache is still writing, which looked exactly like "no candidate".
has_candidate() {
  local policy
  policy="$(apt-cache policy chromium 2>/dev/null || true)"
  [[ "$policy" =~ Candidate:\ [0-9] ]]
}
for attempt in 1 2 3 4; do
  $SUDO apt-get update -qq || true
  has_candidate && break
  echo "setup-browser: no chromium candidate after apt-get update (attempt $attempt); retrying" >&2
  sleep $((attempt * 5))
done
if ! has_candidate; then
  echo "setup-browser: the package sources have no chromium package (apt-cache policy chromium); check that bookworm-security is in /etc/apt/sources.list*" >&2
  exit 1
fi
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
chromium --version
