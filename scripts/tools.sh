#!/usr/bin/env bash
# Installs the pinned external programs the tests and benchmarks run into
# ./tools/bin (git-ignored). Already-installed tools are reused. Safe to run
# repeatedly; prints the tools directory on success.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin="$root/tools/bin"
mkdir -p "$bin"

# Pinned versions (see ../shared/docs/real-components.md for why these).
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c
LOCALKMS_VERSION=v0.0.0-20260228092603-2a5e92d09ab6 # pinned in scripts/localkms-loopback/go.mod
HDFS_VERSION=v2.4.0
PROTOC_GEN_GO_VERSION=v1.36.12

stamp() { echo "$1" > "$bin/.$2.version"; }
have() { [ -x "$bin/$2" ] && [ "$(cat "$bin/.$2.version" 2>/dev/null)" = "$1" ]; }

install_go() { # version name package
  if ! have "$1" "$2"; then
    echo "tools: installing $2 $1" >&2
    (cd "$root" && GOFLAGS= GOBIN="$bin" go install "$3@$1")
    stamp "$1" "$2"
  fi
}

install_go "$HDFS_VERSION" hdfs github.com/colinmarc/hdfs/v2/cmd/hdfs
install_go "$PROTOC_GEN_GO_VERSION" protoc-gen-go google.golang.org/protobuf/cmd/protoc-gen-go
if ! have "$LOCALKMS_VERSION" localkms-loopback; then
  echo "tools: building localkms-loopback (local-kms $LOCALKMS_VERSION)" >&2
  (cd "$root/scripts/localkms-loopback" && GOFLAGS= GOBIN="$bin" go install .)
  stamp "$LOCALKMS_VERSION" localkms-loopback
fi
install_go "$MINIO_VERSION" minio github.com/minio/minio

if ! command -v protoc >/dev/null 2>&1; then
  echo "tools: installing Debian's protobuf-compiler" >&2
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq protobuf-compiler) >/dev/null
  else
    echo "tools: protoc missing and not root: apt-get install protobuf-compiler" >&2
    exit 1
  fi
fi
# HdfsCLI in a venv of its own, pinned by scripts/hdfscli-requirements.txt
# (the stamp holds the file's hash, so editing it reinstalls); pip's cache
# under tools/ keeps the downloads.
venv="$root/tools/venv-hdfscli"
reqs="$root/scripts/hdfscli-requirements.txt"
want=$(sha256sum "$reqs" | cut -c1-16)
if [ "$(cat "$venv/.stamp" 2>/dev/null)" != "$want" ]; then
  echo "tools: installing HdfsCLI into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --cache-dir "$root/tools/pip-cache" -r "$reqs" >&2
  "$venv/bin/python" -c 'import hdfs, sys; sys.exit(hdfs.__version__ != "2.7.3")'
  echo "$want" > "$venv/.stamp"
fi
# Headless Chromium renders the daemon's status page in
# integration/statuspage_test.go. An install that fails does not stop the
# other tests: that test then fails, naming the missing browser.
if ! command -v chromium >/dev/null 2>&1; then
  echo "tools: installing Debian's chromium" >&2
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core) >/dev/null ||
      echo "tools: installing chromium failed; integration/statuspage_test.go will fail" >&2
  else
    echo "tools: chromium missing and not root (apt-get install chromium); integration/statuspage_test.go will fail" >&2
  fi
fi
echo "$bin"
