"""PySpark checks of the JVM test tier: Spark jobs on local[2] writing and
reading through emrfsd with the Hadoop 3.4.1 client PySpark bundles.

Run by integration/jvm (TestSpark) with the venv's python from scripts/jvm.sh:

    python spark_checks.py --role root|second --nn hdfs://127.0.0.1:PORT \
        --buckets plain,ssekms,csekms --run TOKEN --user alice --superuser root \
        --warehouse /tmp/dir

The second user's run is started with HADOOP_USER_NAME set to that user.
Prints one line per check on stdout:

    CHECK spark-<role>/<bucket>/<name> PASS
    CHECK spark-<role>/<bucket>/<name> FAIL <one-line reason>
    DONE spark-<role> checks=N failed=M seconds=S

and everything else (Spark's log, tracebacks) on stderr. Every check compares
values (row counts, sums, rows per partition, owners), not just the absence
of an exception.
"""

import argparse
import sys
import time
import traceback

MARKER = "emrfsd-plaintext-marker-"  # the Go side looks for it in stored objects
N = 1000


class CheckFailure(Exception):
    pass


def want(what, expected, got):
    if expected != got:
        raise CheckFailure(f"{what}: want {expected!r}, got {got!r}")


def one_line(s):
    s = " ".join(str(s).split())
    return s[:400] + ("..." if len(s) > 400 else "")


def describe(e):
    """One line: the exception and, for a Java one, its innermost cause."""
    java = getattr(e, "java_exception", None)
    if java is not None:
        top, root = java.toString(), java
        while root.getCause() is not None and root.getCause() != root:
            root = root.getCause()
        if root == java:
            return one_line(top)
        # The innermost cause says what went wrong; the top says where.
        return one_line(f"{root.toString()} (in {one_line(top)[:160]})")
    text = str(e).strip().splitlines()
    return one_line(f"{type(e).__name__}: {text[0] if text else ''}")


class Runner:
    def __init__(self, group):
        self.group, self.checks, self.failed = group, 0, 0

    def check(self, name, body):
        full = f"{self.group}/{name}"
        self.checks += 1
        t0 = time.time()
        print(f"=== CHECK {full}", file=sys.stderr, flush=True)
        try:
            body()
            verdict = "PASS"
        except CheckFailure as e:
            verdict = "FAIL " + one_line(e)
        except Exception as e:  # noqa: BLE001 - every failure is a verdict
            verdict = "FAIL unexpected " + describe(e)
            traceback.print_exc(file=sys.stderr)
        if verdict != "PASS":
            self.failed += 1
        print(f"=== {full} {verdict.split()[0]} ({time.time() - t0:.1f} s)", file=sys.stderr, flush=True)
        print(f"CHECK {full} {verdict}", flush=True)
        return verdict == "PASS"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--role", choices=["root", "second"], required=True)
    ap.add_argument("--nn", required=True)
    ap.add_argument("--buckets", required=True)
    ap.add_argument("--run", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--superuser", required=True)
    ap.add_argument("--warehouse", required=True)
    a = ap.parse_args()

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    t_start = time.time()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName(f"emrfsd-jvm-{a.role}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", "file://" + a.warehouse)
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.hadoop.fs.defaultFS", a.nn)
        .config("spark.hadoop.dfs.replication", "1")
        .config("spark.hadoop.ipc.client.connect.max.retries", "3")
        .config("spark.hadoop.dfs.client.retry.policy.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("WARN")
    jvm = spark._jvm
    hconf = spark._jsc.hadoopConfiguration()
    Path = jvm.org.apache.hadoop.fs.Path
    fs = Path(a.nn + "/").getFileSystem(hconf)
    print(f"spark {spark.version} up in {time.time() - t_start:.1f} s as "
          f"{jvm.org.apache.hadoop.security.UserGroupInformation.getCurrentUser().getShortUserName()}",
          file=sys.stderr, flush=True)

    group = f"spark-{a.role}"
    r = Runner(group)

    def df_base(n=N, offset=0):
        return (spark.range(offset, offset + n, 1, 2)
                .selectExpr("id", "id % 4 AS part", "id * 2 AS v", f"concat('{MARKER}', id) AS s"))

    def summary(df):
        row = df.agg(F.count("*").alias("c"), F.sum("v").alias("sv")).collect()[0]
        return row["c"], row["sv"]

    def per_part(df):
        return {row["part"]: (row["c"], row["sv"]) for row in
                df.groupBy("part").agg(F.count("*").alias("c"), F.sum("v").alias("sv")).collect()}

    full = {p: (N // 4, sum(2 * i for i in range(N) if i % 4 == p)) for p in range(4)}
    total = (N, sum(2 * i for i in range(N)))

    def url(path):
        return a.nn + path

    def exists(path):
        return fs.exists(Path(url(path)))

    def part_files(path):
        out = []
        it = fs.listFiles(Path(url(path)), True)
        while it.hasNext():
            st = it.next()
            if st.getPath().getName().startswith("part-"):
                out.append(st)
        return out

    def committed(path, partitions=True):
        """The job committed: _SUCCESS present, no _temporary left, data files there."""
        if not exists(path + "/_SUCCESS"):
            raise CheckFailure(f"{path}/_SUCCESS missing after the job")
        if exists(path + "/_temporary"):
            raise CheckFailure(f"{path}/_temporary left after the job committed")
        if partitions:
            dirs = sorted(st.getPath().getName() for st in fs.listStatus(Path(url(path))) if st.isDirectory())
            want("partition directories", ["part=0", "part=1", "part=2", "part=3"], dirs)
        if not part_files(path):
            raise CheckFailure(f"no part files under {path}")

    def owners(path):
        # getFileStatus per file: the owner stored with the file (listings
        # are checked on their own in TestFileSystemAPI).
        return sorted({fs.getFileStatus(st.getPath()).getOwner() for st in part_files(path)})

    for b in a.buckets.split(","):
        base = f"/{b}/spark-{a.run}"

        if a.role == "root":
            def committer(version, sub):
                def body():
                    spark.conf.set("spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version", version)
                    try:
                        df_base().write.mode("overwrite").partitionBy("part").parquet(url(f"{base}/{sub}"))
                    finally:
                        spark.conf.unset("spark.hadoop.mapreduce.fileoutputcommitter.algorithm.version")
                    committed(f"{base}/{sub}")
                    got = spark.read.parquet(url(f"{base}/{sub}"))
                    want("count, sum(v)", total, summary(got))
                    want("rows and sum(v) per partition", full, per_part(got))
                    want("owners of the part files", [a.superuser], owners(f"{base}/{sub}"))
                return body

            r.check(f"{b}/parquet-partitioned-committer-v1", committer("1", "v1"))
            r.check(f"{b}/parquet-partitioned-committer-v2", committer("2", "v2"))

            def overwrite_static():
                p = url(f"{base}/static")
                df_base().write.mode("overwrite").partitionBy("part").parquet(p)
                df_base(100, 5000).where("part = 1").write.mode("overwrite").partitionBy("part").parquet(p)
                got = spark.read.parquet(p)
                want("partitions after a static overwrite", {1: (25, sum(2 * i for i in range(5000, 5100) if i % 4 == 1))}, per_part(got))
            r.check(f"{b}/overwrite-mode", overwrite_static)

            def overwrite_dynamic():
                p = url(f"{base}/dynamic")
                df_base().write.mode("overwrite").partitionBy("part").parquet(p)
                spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
                try:
                    (spark.range(0, 10, 1, 2).selectExpr("id", "1 AS part", "-1 AS v", "'new' AS s")
                     .write.mode("overwrite").partitionBy("part").parquet(p))
                finally:
                    spark.conf.unset("spark.sql.sources.partitionOverwriteMode")
                got = spark.read.parquet(p)
                expect = dict(full)
                expect[1] = (10, -10)
                want("rows and sum(v) per partition after a dynamic overwrite of part=1", expect, per_part(got))
                left = [st.getPath().getName() for st in fs.listStatus(Path(p))
                        if st.getPath().getName().startswith((".spark-staging", "_temporary"))]
                want("staging directories left behind", [], left)
            r.check(f"{b}/dynamic-partition-overwrite", overwrite_dynamic)

            def append():
                p = url(f"{base}/append")
                df_base().write.mode("overwrite").parquet(p)
                df_base(N, N).write.mode("append").parquet(p)
                got = spark.read.parquet(p)
                want("count, sum(v) after append", (2 * N, sum(2 * i for i in range(2 * N))), summary(got))
                want("distinct ids", 2 * N, got.select("id").distinct().count())
            r.check(f"{b}/append-mode", append)

            def csv():
                p = url(f"{base}/csv")
                df_base().write.mode("overwrite").option("header", True).csv(p)
                committed(f"{base}/csv", partitions=False)
                got = spark.read.option("header", True).schema("id LONG, part LONG, v LONG, s STRING").csv(p)
                want("count, sum(v)", total, summary(got))
                want("s of id 7", MARKER + "7", got.where("id = 7").collect()[0]["s"])
            r.check(f"{b}/csv", csv)

            def json():
                p = url(f"{base}/json")
                df_base().write.mode("overwrite").json(p)
                committed(f"{base}/json", partitions=False)
                got = spark.read.schema("id LONG, part LONG, v LONG, s STRING").json(p)
                want("count, sum(v)", total, summary(got))
                want("rows per partition", full, per_part(got))
            r.check(f"{b}/json", json)

            def table():
                t = f"t_{b}_{a.run}".replace("-", "_")
                loc = url(f"{base}/table")
                spark.sql(f"CREATE TABLE {t} (id BIGINT, v BIGINT, s STRING) USING parquet LOCATION '{loc}'")
                spark.sql(f"INSERT INTO {t} VALUES (1, 10, 'a'), (2, 20, 'b')")
                spark.sql(f"INSERT INTO {t} SELECT id, id * 3, 'x' FROM range(100)")
                row = spark.sql(f"SELECT count(*) AS c, sum(v) AS sv FROM {t}").collect()[0]
                want("count, sum(v) from the table", (102, 30 + 3 * 4950), (row["c"], row["sv"]))
                want("count, sum(v) reading the location directly", (102, 30 + 3 * 4950),
                     summary(spark.read.parquet(loc)))
                spark.sql(f"INSERT OVERWRITE TABLE {t} SELECT id, id, 'y' FROM range(10)")
                row = spark.sql(f"SELECT count(*) AS c, sum(v) AS sv FROM {t}").collect()[0]
                want("count, sum(v) after INSERT OVERWRITE", (10, 45), (row["c"], row["sv"]))
            r.check(f"{b}/create-table-location-insert-select", table)

            def prepare_second():
                d = Path(url(f"{base}/{a.user}"))
                if not fs.mkdirs(d):
                    raise CheckFailure("mkdirs returned false")
                fs.setOwner(d, a.user, None)
                want("owner of the second user's directory", a.user, fs.getFileStatus(d).getOwner())
                locked = Path(url(f"{base}/locked"))
                fs.mkdirs(locked)
                fs.setPermission(locked, jvm.org.apache.hadoop.fs.permission.FsPermission(0o755))
                want("permission of the superuser's locked directory", 0o755,
                     fs.getFileStatus(locked).getPermission().toShort())
            r.check(f"{b}/prepare-second-user-dir", prepare_second)

        else:
            def read_root():
                if not exists(f"{base}/v1/_SUCCESS"):
                    raise CheckFailure(f"{base}/v1 has no _SUCCESS: the superuser's write failed, nothing to read")
                got = spark.read.parquet(url(f"{base}/v1"))
                want("count, sum(v) of the superuser's table", total, summary(got))
                want("rows per partition", full, per_part(got))
            r.check(f"{b}/read-superuser-data", read_root)

            def write_own():
                p = f"{base}/{a.user}/out"
                df_base().write.mode("overwrite").partitionBy("part").parquet(url(p))
                committed(p)
                got = spark.read.parquet(url(p))
                want("count, sum(v)", total, summary(got))
                want("rows per partition", full, per_part(got))
                want("owners of the part files", [a.user], owners(p))
            r.check(f"{b}/write-own-directory", write_own)

            def write_denied():
                target = f"{base}/locked"
                try:
                    df_base(10).write.mode("append").partitionBy("part").parquet(url(target))
                except Exception as e:  # noqa: BLE001
                    text = describe(e) + " " + str(e)
                    if "AccessControlException" not in text and "Permission denied" not in text:
                        raise CheckFailure("write failed, but not with an AccessControlException: " + describe(e))
                else:
                    raise CheckFailure("append into the superuser's 755 directory succeeded")
                left = [st.getPath().getName() for st in fs.listStatus(Path(url(target)))]
                want("entries in the superuser's directory after a denied write", [], left)
            r.check(f"{b}/write-superuser-dir-denied", write_denied)

            def table():
                t = f"t2_{b}_{a.run}".replace("-", "_")
                loc = url(f"{base}/{a.user}/table")
                spark.sql(f"CREATE TABLE {t} (id BIGINT, v BIGINT) USING parquet LOCATION '{loc}'")
                spark.sql(f"INSERT INTO {t} SELECT id, id * 5 FROM range(200)")
                row = spark.sql(f"SELECT count(*) AS c, sum(v) AS sv FROM {t}").collect()[0]
                want("count, sum(v)", (200, 5 * 19900), (row["c"], row["sv"]))
                want("owners of the table's files", [a.user], owners(f"{base}/{a.user}/table"))
            r.check(f"{b}/create-table-location-insert-select", table)

    print(f"DONE {group} checks={r.checks} failed={r.failed} seconds={time.time() - t_start:.1f}", flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
