"""The benchmark's Spark job (case J1 of bench/cases), one PySpark process
(local[2]) serving every filesystem of a run, so each side runs the same job
in the same warmed-up JVM.

Run by bench/cases with the venv's python from scripts/jvm.sh:

    python spark_bench.py --extra-classpath JARS

Hadoop settings (S3A endpoint, keys, per-bucket encryption) come from the
core-site.xml in HADOOP_CONF_DIR. Reads one command per line on stdin and
answers one line on stdout:

    job BASE ROWS SLICES PARTS       -> OK total_s write_s full_s filtered_s
    jobstats BASE ROWS SLICES PARTS  -> the same plus a JSON object: what the
                                        job added to Hadoop's global storage
                                        statistics (DFSClient NameNode calls,
                                        S3A's S3 requests), by counter
    quit

A job writes a ROWS-row DataFrame (SLICES input partitions, so SLICES
tasks) as Parquet partitioned by `part` (PARTS values, so up to
SLICES x PARTS files) to BASE/t with the default committer, reads it all back
(aggregate per partition), then reads it with a partition filter and a
predicate, checks every count, and deletes BASE (untimed). A failure
answers "ERR <one line>"; the process goes on.
"""

import argparse
import json
import sys
import time
import traceback

def one_line(s):
    s = " ".join(str(s).split())
    return s[:600]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extra-classpath", default="")
    a = ap.parse_args()

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    b = (
        SparkSession.builder.master("local[2]")
        .appName("emrfsd-bench-J1")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.hadoop.dfs.replication", "1")
    )
    if a.extra_classpath:
        b = b.config("spark.driver.extraClassPath", a.extra_classpath)
    spark = b.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    jvm = spark.sparkContext._jvm
    hconf = spark.sparkContext._jsc.hadoopConfiguration()

    def delete(url):
        p = jvm.org.apache.hadoop.fs.Path(url)
        p.getFileSystem(hconf).delete(p, True)

    def job(base, rows, slices, parts):
        t = base.rstrip("/") + "/t"
        df = spark.range(0, rows, 1, slices).selectExpr(
            "id", f"CAST(id % {parts} AS INT) AS part", "CAST((id * 7919) % 1000 AS DOUBLE) AS v",
            "concat('s', CAST(id % 9973 AS STRING)) AS s")
        t0 = time.monotonic()
        df.write.mode("overwrite").partitionBy("part").parquet(t)
        t1 = time.monotonic()
        agg = spark.read.parquet(t).groupBy("part").agg(F.count("*").alias("n"), F.sum("v").alias("sv")).collect()
        t2 = time.monotonic()
        n_filtered = spark.read.parquet(t).where("part = 1 AND v >= 500").count()
        t3 = time.monotonic()
        got = sum(r["n"] for r in agg)
        if got != rows or len(agg) != parts:
            raise RuntimeError(f"full read: {got} rows in {len(agg)} partitions, want {rows} in {parts}")
        want = sum(1 for i in range(1, rows, parts) if (i * 7919) % 1000 >= 500)
        if n_filtered != want:
            raise RuntimeError(f"filtered read: {n_filtered} rows, want {want}")
        delete(base)
        return t3 - t0, t1 - t0, t2 - t1, t3 - t2

    def counters(base):
        """Hadoop's global storage statistics, by name. DFSClient's are shared
        by every hdfs:// instance; S3A registers only its first instance
        (the plain bucket's), so a later bucket's S3A requests are not seen
        here. BASE is unused: per-instance statistics read 0 for DFSClient
        and for S3A's later instances in Hadoop 3.4.1."""
        out = {}
        it = jvm.org.apache.hadoop.fs.FileSystem.getGlobalStorageStatistics().iterator()
        while it.hasNext():
            st = it.next()
            li = st.getLongStatistics()
            while li.hasNext():
                ls = li.next()
                out[st.getName() + "/" + ls.getName()] = ls.getValue()
        return out

    print("READY", flush=True)
    for line in sys.stdin:
        f = line.split()
        if not f:
            continue
        if f[0] == "quit":
            break
        try:
            if f[0] not in ("job", "jobstats") or len(f) != 5:
                raise ValueError(f"bad command {line.strip()!r}")
            before = counters(f[1]) if f[0] == "jobstats" else {}
            r = job(f[1], int(f[2]), int(f[3]), int(f[4]))
            answer = "OK " + " ".join(f"{x:.6f}" for x in r)
            if f[0] == "jobstats":
                after = counters(f[1])
                delta = {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}
                answer += " " + json.dumps(delta, separators=(",", ":"), sort_keys=True)
            print(answer, flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is an answer
            traceback.print_exc(file=sys.stderr)
            java = getattr(e, "java_exception", None)
            print("ERR " + one_line(java.toString() if java is not None else f"{type(e).__name__}: {e}"), flush=True)
    spark.stop()


if __name__ == "__main__":
    main()
