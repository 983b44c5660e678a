#!/usr/bin/env bash
# Regenerates the Go code for proto/ from the .proto files with Debian's protoc
# and the pinned protoc-gen-go (installed by scripts/tools.sh).
#   scripts/genproto.sh          regenerate in place
#   scripts/genproto.sh --check  fail if regenerating would change anything
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export PATH="$root/tools/bin:$PATH"
command -v protoc-gen-go >/dev/null || { echo "genproto: protoc-gen-go missing: run scripts/tools.sh" >&2; exit 1; }
out=proto
if [ "${1:-}" = "--check" ]; then
  out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
  mkdir -p "$out"
fi
files=$(cd proto && find . -name '*.proto' | sed 's|^\./||' | sort)
[ -n "$files" ] || { echo "genproto: no .proto files" >&2; exit 0; }
(cd proto && protoc -I. --go_out="$( [ "$out" = proto ] && echo . || echo "$out")" --go_opt=paths=source_relative $files)
if [ "${1:-}" = "--check" ]; then
  for f in $(cd "$out" && find . -name '*.pb.go' | sed 's|^\./||'); do
    if ! cmp -s "$out/$f" "proto/$f"; then
      echo "genproto: proto/$f is stale: run scripts/genproto.sh" >&2; exit 1
    fi
  done
  echo "genproto: generated code is current" >&2
fi
