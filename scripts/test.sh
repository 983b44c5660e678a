#!/usr/bin/env bash
# The whole test suite: installs the pinned tools it needs (scripts/tools.sh,
# and scripts/jvm.sh for the JVM tier: Hadoop 3.4.1 client jars, PySpark
# 4.0.1), starts MinIO and local-kms on loopback, checks that generated code
# is current, runs `go test -race ./...` (unit, integration and the JVM tier
# in integration/jvm) and stops the servers.
# Extra arguments go to `go test` (e.g. ./scripts/test.sh -run Conformance ./providers/...).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh >/dev/null
# A failed JVM install must not stop the other tests: the JVM tier then
# fails on its own, naming what is missing.
scripts/jvm.sh || echo "test.sh: scripts/jvm.sh failed; integration/jvm will fail" >&2
. scripts/services.sh
trap services_stop EXIT
services_start
scripts/genproto.sh --check
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then echo "test.sh: not gofmt-ed: $unformatted" >&2; exit 1; fi
go vet ./...
# The fault tier (integration/faults) runs its full sizes unless told
# otherwise (EMRFSD_FAULTS_FULL=0 trims it: 2 crash rounds instead of 4,
# 256 MiB reads through a storage outage instead of 1 GiB, 2,000
# never-closed files instead of 10,000).
export EMRFSD_FAULTS_FULL=${EMRFSD_FAULTS_FULL:-1}
if [ $# -eq 0 ]; then set -- ./...; fi
go test -race -timeout 40m "$@"
