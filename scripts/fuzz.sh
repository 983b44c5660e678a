#!/usr/bin/env bash
# Runs every fuzz target of the project's parsers one at a time (2 shared
# cores: one fuzz worker, one target at a time), each for FUZZTIME (default
# 10m), then copies what the fuzzer found interesting into the package's
# testdata/fuzz/TARGET (at most FUZZ_KEEP files per target, default 200, the
# smallest first), so `go test` replays it as ordinary tests.
#   scripts/fuzz.sh                      # every target, 10 minutes each
#   FUZZTIME=30s scripts/fuzz.sh namenode:FuzzParseFrame
# A crash fails the run; Go writes the crasher to testdata/fuzz/TARGET.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10m}
FUZZ_KEEP=${FUZZ_KEEP:-200}
targets=(
  datanode:FuzzReadPacket
  datanode:FuzzServe
  internal/hadoopconf:FuzzParseXML
  internal/hadoopconf:FuzzExpand
  providers/cse:FuzzParseEnvelope
  providers/cse:FuzzParseInstruction
  internal/localdisk:FuzzOpenSealed
  internal/localdisk:FuzzNodeKeyState
  namenode:FuzzParseFrame
  namenode:FuzzConnection
)
if [ $# -gt 0 ]; then targets=("$@"); fi
module=$(go list -m)
cache=$(go env GOCACHE)/fuzz
status=0
for t in "${targets[@]}"; do
  pkg=${t%%:*} name=${t#*:}
  echo "fuzz.sh: $pkg $name for $FUZZTIME" >&2
  start=$(date +%s)
  if ! go test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZTIME" -parallel 1 "./$pkg" >&2; then
    echo "fuzz.sh: $pkg $name FAILED (crasher under $pkg/testdata/fuzz/$name)" >&2
    status=1
  fi
  echo "fuzz.sh: $pkg $name ran $(( $(date +%s) - start ))s" >&2
  src="$cache/$module/$pkg/$name"
  dst="$pkg/testdata/fuzz/$name"
  if [ -d "$src" ]; then
    mkdir -p "$dst"
    # Keep the smallest FUZZ_KEEP inputs (plus any crasher already there).
    (cd "$src" && ls -S -r | head -n "$FUZZ_KEEP") | while read -r f; do cp "$src/$f" "$dst/$f"; done
    echo "fuzz.sh: $dst holds $(ls "$dst" | wc -l) inputs" >&2
  fi
done
exit $status
