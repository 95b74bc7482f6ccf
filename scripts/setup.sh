#!/usr/bin/env bash
# Installs everything Vigil and its tests need on a fresh machine of this kind
# (Debian, root, Node 20+, Go): system packages, the pinned OPA, kube-apiserver, etcd,
# Kyverno and Helm binaries built from source through the Go module proxy, and the npm
# workspaces. Idempotent and quick
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
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || missing+=(runc)
command -v bc >/dev/null || missing+=(bc)
# pdftoppm / pdftotext: the compliance report test turns the PDF's pages into PNG and text.
command -v pdftoppm >/dev/null || missing+=(poppler-utils)
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

# The real Kubernetes components the tests start on loopback (kube-apiserver, etcd), the
# Kyverno CLI and Helm, built from source through the Go module proxy. Each wrapper module
# under tools/ pins its version in go.mod/go.sum; a stamp of those files decides whether
# the cached binary is current, so a rebuild happens only when a version changes.
build_go_tool() { # name, then extra `go build` flags
  local name=$1 dir="tools/$1" stamp="$TOOLS/.$1.stamp" want
  shift
  want=$(cat "$dir/go.mod" "$dir/go.sum" "$dir/main.go" | sha256sum | cut -d' ' -f1)
  [ -x "$TOOLS/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && return 0
  echo "setup: building $name ($(grep -m1 -oP '^// Wrapper module that builds \K.*' "$dir/go.mod"))"
  mkdir -p "$TOOLS"
  (cd "$dir" && nice -n 10 go build -mod=readonly -trimpath -ldflags "-s -w $*" -o "$TOOLS/$name.new" .)
  mv "$TOOLS/$name.new" "$TOOLS/$name"
  echo "$want" >"$stamp"
}
KUBE_VERSION=$(grep -m1 -oP '(^|\s)k8s.io/kubernetes \Kv[0-9.]+' tools/kube-apiserver/go.mod)
KUBE_MINOR=$(echo "$KUBE_VERSION" | cut -d. -f2)
build_go_tool kube-apiserver "-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION" \
  "-X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$KUBE_MINOR" \
  "-X k8s.io/component-base/version.gitTreeState=clean"
build_go_tool etcd
KYVERNO_VERSION=$(grep -m1 -oP '(^|\s)github.com/kyverno/kyverno \Kv[0-9.]+' tools/kyverno/go.mod)
build_go_tool kyverno "-X github.com/kyverno/kyverno/pkg/version.BuildVersion=$KYVERNO_VERSION"

HELM_VERSION=v4.3.2
if [ "$(cat "$TOOLS/.helm.stamp" 2>/dev/null)" != "$HELM_VERSION" ] || [ ! -x "$TOOLS/helm" ]; then
  echo "setup: building helm $HELM_VERSION from source"
  GOBIN="$TOOLS" GOFLAGS=-mod=mod nice -n 10 go install -trimpath "helm.sh/helm/v4/cmd/helm@$HELM_VERSION"
  echo "$HELM_VERSION" >"$TOOLS/.helm.stamp"
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
# Containers (`vigil up --runtime podman`, docs/containers.md). This machine kind has no
# CAP_SYS_RESOURCE and cgroup v1: podman's default rlimits cannot be set and crun fails,
# so Vigil runs podman with this file (CONTAINERS_CONF) unless CONTAINERS_CONF is set.
mkdir -p .tools/containers
cat >.tools/containers/containers.conf <<'EOF'
# Written by scripts/setup.sh; Vigil passes it to podman as CONTAINERS_CONF.
[containers]
default_ulimits = []

[engine]
runtime = "runc"
EOF
# The console's static files (Vite, into apps/console/dist), rebuilt only when its sources,
# its build configuration or the lockfile changed.
console_stamp=apps/console/dist/.inputs.sha256
console_want=$( (find apps/console/src apps/console/index.html apps/console/vite.config.ts \
  apps/console/package.json package-lock.json -type f ! -name '*.test.ts' | sort | xargs sha256sum) |
  sha256sum | cut -d' ' -f1)
if [ "$(cat "$console_stamp" 2>/dev/null)" != "$console_want" ]; then
  echo "setup: building the console"
  nice -n 10 npm run build -w @vigil/console --silent >/dev/null
  echo "$console_want" >"$console_stamp"
fi
# The agent image (with the console), rebuilt only when its inputs changed (.tools/image/image.json).
scripts/image/build.sh
echo "setup: ready (opa $("$TOOLS/opa" version | head -1 | cut -d' ' -f2), kube-apiserver $KUBE_VERSION, $("$TOOLS/etcd" --version | head -1), kyverno $KYVERNO_VERSION, helm $HELM_VERSION, node $(node --version))"
