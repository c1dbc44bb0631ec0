#!/bin/sh
# Builds the reference program offline from Debian's Go packages (GOPATH mode).
# Usage: build_go.sh SOURCE_DIR OUTPUT_BINARY WORK_DIR
set -eu
src=$1
out=$2
work=$3
smd=/usr/share/gocode/src/sigs.k8s.io/structured-merge-diff
if ! command -v go >/dev/null || [ ! -d "$smd" ]; then
  echo "build_go.sh: needs golang-go and golang-k8s-sigs-structured-merge-diff-dev (scripts/setup)" >&2
  exit 1
fi
# The library imports itself as sigs.k8s.io/structured-merge-diff/v4/...; Debian installs it
# without the /v4 suffix, so a symlink in a private GOPATH supplies that path.
mkdir -p "$work/gopath/src/sigs.k8s.io/structured-merge-diff" "$work/gocache"
ln -sfn "$smd" "$work/gopath/src/sigs.k8s.io/structured-merge-diff/v4"
export GO111MODULE=off GOPATH="$work/gopath:/usr/share/gocode" GOCACHE="$work/gocache"
export GOFLAGS= GOPROXY=off GOTOOLCHAIN=local
go build -o "$out" "$src/main.go"
