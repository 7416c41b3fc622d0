#!/bin/sh
# Runs the Go cross-implementation check offline against Debian's Go sources
# (apt: golang-go golang-golang-x-mod-dev). Arguments are passed through.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
export GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off
export GOCACHE="${GOCACHE:-${TMPDIR:-/tmp}/ppetrace-crosscheck-gocache}"
cd "$here/go"
exec go run main.go "$@"
