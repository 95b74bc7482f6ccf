#!/usr/bin/env bash
# Installs everything Vigil and its tests need on a fresh machine of this kind
# (Debian, root, Node 20+, Go): system packages, the pinned OPA binary built from
# source through the Go module proxy, and the npm workspaces. Idempotent and quick
# when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

OPA_VERSION=v1.22.3
TOOLS="$PWD/.tools/bin"

missing=()
command -v nats-server >/dev/null || missing+=(nats-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! "$TOOLS/opa" version 2>/dev/null | grep -qx "Version: ${OPA_VERSION#v}"; then
  echo "setup: building opa $OPA_VERSION from source"
  mkdir -p "$TOOLS"
  GOBIN="$TOOLS" GOFLAGS=-mod=mod go install "github.com/open-policy-agent/opa@$OPA_VERSION"
fi

# npm ci only when the lockfile changed since the last install (it takes minutes:
# better-sqlite3 compiles from source against the local Node headers).
stamp=node_modules/.vigil-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
  echo "$want" >"$stamp"
fi
echo "setup: ready (opa $("$TOOLS/opa" version | head -1 | cut -d' ' -f2), node $(node --version))"
