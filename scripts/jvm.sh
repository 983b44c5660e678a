#!/usr/bin/env bash
# Installs the pinned JVM-side tools the JVM test tier (integration/jvm) runs
# into git-ignored folders under ./tools, reusing what is already there:
#   tools/jvm/hadoop-3.4.1/lib  Apache Hadoop 3.4.1 Java client jars (Maven)
#   tools/jvm/hadoop-3.4.1/etc/hadoop  a client core-site.xml for the quick start
#   tools/jvm/hadoop-3.4.1/contract-lib  hadoop-common 3.4.1's test jar (Hadoop's
#                               FileSystem contract suites), JUnit 4 and AssertJ
#                               (Maven; integration/jvm/contract)
#   tools/jvm/hadoop-3.4.1/bench-lib  hadoop-aws 3.4.1 with its AWS SDK v2
#                               bundle (S3A) and hadoop-client-minicluster
#                               (MiniDFSCluster), for the benchmark's JVM peer
#                               cases (Maven; bench/jvm/pom.xml)
#   tools/venv                  a Python venv with PySpark 4.0.1 (PyPI; it bundles
#                               Spark's jars and the Hadoop 3.4.1 client)
# Needs java and javac 17 or newer (the machine's default JDK), mvn and
# python3 with venv. Prints KEY=path lines for what it installed; exits
# non-zero when anything is missing, so the JVM tests fail rather than skip.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools="$root/tools"

HADOOP_VERSION=3.4.1   # also in integration/jvm/pom.xml
PYSPARK_VERSION=4.0.1

die() { echo "jvm.sh: $*" >&2; exit 1; }

for t in java javac mvn python3; do
  command -v "$t" >/dev/null 2>&1 || die "$t not found (need a JDK 17+, Maven and Python 3)"
done
jver=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
[ "${jver%%.*}" -ge 17 ] 2>/dev/null || die "java $jver found; Spark 4 and these tests need 17 or newer"
javac -version >/dev/null 2>&1 || die "javac does not run"

# Hadoop client jars. The stamp holds the pom's hash, so editing the pom
# re-fetches.
hlib="$tools/jvm/hadoop-$HADOOP_VERSION/lib"
pom="$root/integration/jvm/pom.xml"
want="$HADOOP_VERSION $(sha256sum "$pom" | cut -c1-16)"
if [ "$(cat "$hlib/.stamp" 2>/dev/null)" != "$want" ]; then
  echo "jvm.sh: fetching Hadoop $HADOOP_VERSION client jars" >&2
  rm -rf "$hlib"
  mkdir -p "$hlib"
  mkdir -p "$tools/jvm"
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies \
      -Dmaven.repo.local="$tools/m2" -DoutputDirectory="$hlib" >"$tools/jvm/mvn.log" 2>&1; then
    cat "$tools/jvm/mvn.log" >&2
    die "Maven could not fetch the Hadoop $HADOOP_VERSION client (log above)"
  fi
  for j in hadoop-client-api hadoop-client-runtime; do
    [ -f "$hlib/$j-$HADOOP_VERSION.jar" ] || die "$hlib/$j-$HADOOP_VERSION.jar missing after Maven"
  done
  echo "$want" > "$hlib/.stamp"
fi

# Hadoop's contract suites and what they need beside the client jars
# (integration/jvm/contract/pom.xml), likewise stamped with the pom's hash.
clib="$tools/jvm/hadoop-$HADOOP_VERSION/contract-lib"
cpom="$root/integration/jvm/contract/pom.xml"
want="$HADOOP_VERSION $(sha256sum "$cpom" | cut -c1-16)"
if [ "$(cat "$clib/.stamp" 2>/dev/null)" != "$want" ]; then
  echo "jvm.sh: fetching hadoop-common $HADOOP_VERSION tests, JUnit, AssertJ" >&2
  rm -rf "$clib"
  mkdir -p "$clib"
  if ! mvn -q -B -f "$cpom" dependency:copy-dependencies \
      -Dmaven.repo.local="$tools/m2" -DoutputDirectory="$clib" >"$tools/jvm/mvn-contract.log" 2>&1; then
    cat "$tools/jvm/mvn-contract.log" >&2
    die "Maven could not fetch the contract test jars (log above)"
  fi
  [ -f "$clib/hadoop-common-$HADOOP_VERSION-tests.jar" ] || die "$clib/hadoop-common-$HADOOP_VERSION-tests.jar missing after Maven"
  echo "$want" > "$clib/.stamp"
fi

# S3A and the MiniDFSCluster for the benchmark's peer cases (bench/jvm/pom.xml),
# likewise stamped. The client jars they depend on are in lib already. The
# AWS SDK bundle is about 600 MB; tools/m2 keeps it.
blib="$tools/jvm/hadoop-$HADOOP_VERSION/bench-lib"
bpom="$root/bench/jvm/pom.xml"
want="$HADOOP_VERSION $(sha256sum "$bpom" | cut -c1-16)"
if [ "$(cat "$blib/.stamp" 2>/dev/null)" != "$want" ]; then
  echo "jvm.sh: fetching hadoop-aws $HADOOP_VERSION, the AWS SDK bundle, hadoop-client-minicluster" >&2
  rm -rf "$blib"
  mkdir -p "$blib"
  if ! mvn -q -B -f "$bpom" dependency:copy-dependencies \
      -DexcludeArtifactIds=hadoop-client-api,hadoop-client-runtime \
      -Dmaven.repo.local="$tools/m2" -DoutputDirectory="$blib" >"$tools/jvm/mvn-bench.log" 2>&1; then
    cat "$tools/jvm/mvn-bench.log" >&2
    die "Maven could not fetch the benchmark's S3A and MiniDFS jars (log above)"
  fi
  for j in hadoop-aws hadoop-client-minicluster; do
    [ -f "$blib/$j-$HADOOP_VERSION.jar" ] || die "$blib/$j-$HADOOP_VERSION.jar missing after Maven"
  done
  ls "$blib"/bundle-*.jar >/dev/null 2>&1 || die "no AWS SDK bundle jar in $blib after Maven"
  echo "$want" > "$blib/.stamp"
fi

# PySpark in its own venv; pip's cache under tools/ keeps the 400 MB sdist
# for the next cold install.
venv="$tools/venv"
if [ "$(cat "$venv/.pyspark.version" 2>/dev/null)" != "$PYSPARK_VERSION" ]; then
  echo "jvm.sh: installing PySpark $PYSPARK_VERSION into $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q --cache-dir "$tools/pip-cache" "pyspark==$PYSPARK_VERSION" >&2 \
    || die "pip could not install pyspark==$PYSPARK_VERSION"
  "$venv/bin/python" -c 'import pyspark, sys; sys.exit(pyspark.__version__ != sys.argv[1])' "$PYSPARK_VERSION" \
    || die "pyspark $PYSPARK_VERSION did not install into $venv"
  echo "$PYSPARK_VERSION" > "$venv/.pyspark.version"
fi

# A client configuration directory, as a Hadoop distribution's etc/hadoop:
# the Hadoop client refuses to start when -D options are given and no
# core-site.xml is on the classpath. It points at the quick start's daemon.
hconf="$tools/jvm/hadoop-$HADOOP_VERSION/etc/hadoop"
mkdir -p "$hconf"
cat > "$hconf/core-site.xml" <<'XML'
<?xml version="1.0"?>
<!-- written by scripts/jvm.sh: the quick start's emrfsd (go run ./cmd/emrfsd) -->
<configuration>
  <property><name>fs.defaultFS</name><value>hdfs://127.0.0.1:8020</value></property>
</configuration>
XML
echo "HADOOP_CONF_DIR=$hconf"
echo "HADOOP_LIB=$hlib"
echo "HADOOP_CONTRACT_LIB=$clib"
echo "HADOOP_BENCH_LIB=$blib"
echo "PYSPARK_PYTHON=$venv/bin/python"
