#!/usr/bin/env bash
# Starts MinIO and local-kms on loopback with random free ports and throwaway
# data directories, for tests and benchmarks. Source it:
#   . scripts/services.sh && services_start && ... && services_stop
# services_start exports EMRFSD_TEST_S3_ENDPOINT, EMRFSD_TEST_S3_DATA,
# EMRFSD_TEST_KMS_ENDPOINT and EMRFSD_TEST_TOOLS.

services_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Ports come from below Linux's ephemeral range (32768-60999): a port there
# can be the local end of some client's connection at the moment MinIO binds.
free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( (RANDOM % 20000) + 12000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  echo "no free port found" >&2; return 1
}

wait_for() { # description command...
  local what=$1; shift
  for _ in $(seq 1 300); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "services: $what did not become ready" >&2
  return 1
}

services_start() {
  local bin="$services_root/tools/bin"
  for t in minio localkms-loopback hdfs; do
    [ -x "$bin/$t" ] || { echo "services: $bin/$t missing: run scripts/tools.sh" >&2; return 1; }
  done
  SERVICES_DIR=$(mktemp -d "${TMPDIR:-/tmp}/emrfsd-services.XXXXXX")
  export SERVICES_DIR

  local mport kport try
  # A port found free can be taken before MinIO binds it: try another.
  for try in 1 2 3; do
    mport=$(free_port) || return 1
    MINIO_ROOT_USER=minioadmin MINIO_ROOT_PASSWORD=minioadmin \
    MINIO_KMS_SECRET_KEY="emrfsd-test-key:$(printf 0123456789abcdef0123456789abcdef | base64)" \
    MINIO_BROWSER=off MINIO_UPDATE=off MINIO_CI_CD=1 MINIO_API_DELETE_CLEANUP_INTERVAL=10s \
      "$bin/minio" server "$SERVICES_DIR/minio" --quiet --address "127.0.0.1:$mport" \
        >"$SERVICES_DIR/minio.log" 2>&1 &
    SERVICES_MINIO_PID=$!
    if wait_for MinIO curl -sf "http://127.0.0.1:$mport/minio/health/live"; then break; fi
    kill "$SERVICES_MINIO_PID" 2>/dev/null; wait "$SERVICES_MINIO_PID" 2>/dev/null
    if [ "$try" = 3 ] || ! grep -q "already in use" "$SERVICES_DIR/minio.log"; then
      cat "$SERVICES_DIR/minio.log" >&2; return 1
    fi
  done

  KMS_LISTEN=127.0.0.1:0 KMS_DATA_PATH="$SERVICES_DIR/kms" KMS_REGION=us-east-1 KMS_ACCOUNT_ID=111122223333 \
    "$bin/localkms-loopback" >"$SERVICES_DIR/kms.log" 2>&1 &
  SERVICES_KMS_PID=$!
  wait_for local-kms grep -q '^listening on ' "$SERVICES_DIR/kms.log" || { cat "$SERVICES_DIR/kms.log" >&2; return 1; }
  kport=$(sed -n 's/^listening on 127.0.0.1:\([0-9]*\)$/\1/p' "$SERVICES_DIR/kms.log" | head -1)

  export EMRFSD_TEST_S3_ENDPOINT="http://127.0.0.1:$mport"
  export EMRFSD_TEST_S3_DATA="$SERVICES_DIR/minio"
  export EMRFSD_TEST_KMS_ENDPOINT="http://127.0.0.1:$kport"
  export EMRFSD_TEST_TOOLS="$bin"
  echo "services: MinIO $EMRFSD_TEST_S3_ENDPOINT, local-kms $EMRFSD_TEST_KMS_ENDPOINT (data $SERVICES_DIR)" >&2
}

services_stop() {
  [ -n "${SERVICES_MINIO_PID:-}" ] && kill "$SERVICES_MINIO_PID" 2>/dev/null
  [ -n "${SERVICES_KMS_PID:-}" ] && kill "$SERVICES_KMS_PID" 2>/dev/null
  wait 2>/dev/null
  [ -n "${SERVICES_DIR:-}" ] && rm -rf "$SERVICES_DIR"
  return 0
}
