#!/usr/bin/env bash
# Builds the quic-go interop peer offline from Debian's packaged Go sources
# (golang-go + golang-github-lucas-clemente-quic-go-dev, GOPATH mode; no module download).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../../test-output/bin/quicgo-peer}
mkdir -p "$(dirname "$out")"
if [ -x "$out" ] && [ "$out" -nt "$here/peer.go" ]; then exit 0; fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here/peer.go" "$work/"
cd "$work"
GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="${GOCACHE:-$here/../../../test-output/gocache}" GOFLAGS= \
  go build -o "$out.tmp" . && mv "$out.tmp" "$out"
