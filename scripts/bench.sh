#!/usr/bin/env bash
# The benchmark: installs the pinned tools, starts a fresh MinIO + local-kms
# on loopback, builds emrfsd and emrfsd-bench, runs the cases (emrfsd-bench
# starts the emrfsd daemons itself) and prints where the Markdown table and
# the PNG chart went (default ./bench-out, git-ignored).
#   scripts/bench.sh [--quick] [other emrfsd-bench flags, e.g. --cases W1,R1 --out DIR]
# --quick: small sizes, 3 repetitions (a few minutes on two cores).
# The full run takes a while and needs about 15 GiB free in $TMPDIR.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/tools.sh >/dev/null
scripts/jvm.sh >/dev/null
. scripts/services.sh
bindir=$(mktemp -d "${TMPDIR:-/tmp}/emrfsd-bench-bin.XXXXXX")
cleanup() { services_stop; rm -rf "$bindir"; }
trap cleanup EXIT
services_start
go build -o "$bindir/emrfsd" ./cmd/emrfsd
go build -o "$bindir/emrfsd-bench" ./cmd/emrfsd-bench
"$bindir/emrfsd-bench" --emrfsd "$bindir/emrfsd" \
  --s3-endpoint "$EMRFSD_TEST_S3_ENDPOINT" --kms-endpoint "$EMRFSD_TEST_KMS_ENDPOINT" "$@"
