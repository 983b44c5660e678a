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

# fetch_jars DIR POM WHAT "NEEDED..." [mvn args...]: copies POM's
# dependencies into DIR with Maven (local repository tools/m2), checks that
# each NEEDED file (a glob) is there, and stamps DIR with the pom's hash;
# it does nothing when the stamp is current, so editing a pom re-fetches.
fetch_jars() {
  local dir=$1 pom=$2 what=$3 needed=$4; shift 4
  local want="$HADOOP_VERSION $(sha256sum "$pom" | cut -c1-16)"
  [ "$(cat "$dir/.stamp" 2>/dev/null)" != "$want" ] || return 0
  echo "jvm.sh: fetching $what" >&2
  rm -rf "$dir"
  mkdir -p "$dir" "$tools/jvm"
  local log="$tools/jvm/mvn-$(basename "$dir").log"
  if ! mvn -q -B -f "$pom" dependency:copy-dependencies "$@" \
      -Dmaven.repo.local="$tools/m2" -DoutputDirectory="$dir" >"$log" 2>&1; then
    cat "$log" >&2
    die "Maven could not fetch $what (log above)"
  fi
  local f
  for f in $needed; do
    compgen -G "$dir/$f" >/dev/null || die "$dir/$f missing after Maven"
  done
  echo "$want" > "$dir/.stamp"
}

hlib="$tools/jvm/hadoop-$HADOOP_VERSION/lib"
clib="$tools/jvm/hadoop-$HADOOP_VERSION/contract-lib"
blib="$tools/jvm/hadoop-$HADOOP_VERSION/bench-lib"

# Hadoop client jars.
fetch_jars "$hlib" "$root/integration/jvm/pom.xml" \
  "the Hadoop $HADOOP_VERSION client jars" \
  "hadoop-client-api-$HADOOP_VERSION.jar hadoop-client-runtime-$HADOOP_VERSION.jar"

# Hadoop's contract suites and what they need beside the client jars
# (integration/jvm/contract/pom.xml).
fetch_jars "$clib" "$root/integration/jvm/contract/pom.xml" \
  "hadoop-common $HADOOP_VERSION tests, JUnit, AssertJ" \
  "hadoop-common-$HADOOP_VERSION-tests.jar"

# S3A and the MiniDFSCluster for the benchmark's peer cases (bench/jvm/pom.xml).
# The client jars they depend on are in lib already. The AWS SDK bundle is
# about 600 MB; tools/m2 keeps it.
fetch_jars "$blib" "$root/bench/jvm/pom.xml" \
  "hadoop-aws $HADOOP_VERSION, the AWS SDK bundle, hadoop-client-minicluster" \
  "hadoop-aws-$HADOOP_VERSION.jar hadoop-client-minicluster-$HADOOP_VERSION.jar bundle-*.jar" \
  -DexcludeArtifactIds=hadoop-client-api,hadoop-client-runtime

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
