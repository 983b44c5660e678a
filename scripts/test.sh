#!/usr/bin/env bash
# The whole test suite: installs the pinned tools it needs, starts MinIO and
# local-kms on loopback, checks that generated code is current, runs
# `go test -race ./...` (unit + integration) and stops the servers.
# Extra arguments go to `go test` (e.g. ./scripts/test.sh -run Conformance ./providers/...).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh >/dev/null
. scripts/services.sh
trap services_stop EXIT
services_start
scripts/genproto.sh --check
go vet ./...
if [ $# -eq 0 ]; then set -- ./...; fi
go test -race -timeout 40m "$@"
