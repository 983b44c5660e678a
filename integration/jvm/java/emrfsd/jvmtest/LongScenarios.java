package emrfsd.jvmtest;

import static emrfsd.jvmtest.Check.eq;
import static emrfsd.jvmtest.Check.isTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.LocatedFileStatus;

/**
 * Long operations inside the Java client's timeouts (issue 10 B): the
 * client's ipc.client.rpc-timeout.ms is 120 s, so a directory rename is
 * one call that must finish within it, and closing a multi-GiB CSE file
 * must not leave the client's complete() retries (about 12 s) or its ack
 * timeout (dfs.client.socket-timeout, 60 s) waiting for S3.
 */
final class LongScenarios {
  private final Ctx ctx;
  private final Runner r;

  LongScenarios(Ctx ctx, Runner r) {
    this.ctx = ctx;
    this.r = r;
  }

  void run() throws Exception {
    FileSystem fs = ctx.fs();
    String plain = "/" + ctx.buckets.get(0) + "/jvm-long-" + ctx.run;
    String cse = "/" + ctx.buckets.get(ctx.buckets.size() - 1) + "/jvm-long-" + ctx.run;
    r.check("rename-directory-of-2000-files", () -> {
      int n = 2000;
      Path src = ctx.p(plain + "/many");
      isTrue("mkdirs", fs.mkdirs(src));
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<?>> fut = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          final int k = i;
          fut.add(pool.submit(() -> {
            Ctx.write(fs, new Path(src, String.format("part-%05d", k)), ("file " + k + "\n").getBytes());
            return null;
          }));
        }
        for (Future<?> f : fut) {
          f.get();
        }
      } finally {
        pool.shutdown();
      }
      Path dst = ctx.p(plain + "/many-renamed");
      long t0 = System.nanoTime();
      isTrue("rename(dir of 2000 files) returned false", fs.rename(src, dst));
      double secs = (System.nanoTime() - t0) / 1e9;
      isTrue("rename took " + secs + " s, beyond the client's 120 s rpc timeout budget", secs < 120);
      eq("files at the destination", n, fs.listStatus(dst).length);
      eq("source still exists", false, fs.exists(src));
      byte[] got = Ctx.read(fs, new Path(dst, "part-01234"));
      eq("content of a moved file", "file 1234\n", new String(got));
      throw new Runner.PassWithNote(String.format("rename of %d files took %.1f s", n, secs));
    });
    // A listing of more than dfs.ls.limit (1,000) entries comes in pages, and
    // emrfsd fetches the next page from S3 while the client reads the current
    // one: the pages must still be the directory, and a change made between
    // two pages must show in the next.
    r.check("paged-listing-with-a-change-between-pages", () -> {
      Path dir = ctx.p(plain + "/many-renamed");
      RemoteIterator<FileStatus> it = fs.listStatusIterator(dir);
      List<String> names = new ArrayList<>();
      while (names.size() < 1000 && it.hasNext()) {
        names.add(it.next().getPath().getName());
      }
      Ctx.write(fs, new Path(dir, "part-01500x"), "late\n".getBytes());
      isTrue("delete part-01600", fs.delete(new Path(dir, "part-01600"), false));
      while (it.hasNext()) {
        names.add(it.next().getPath().getName());
      }
      List<String> want = new ArrayList<>();
      for (int i = 0; i < 2000; i++) {
        if (i != 1600) {
          want.add(String.format("part-%05d", i));
        }
        if (i == 1500) {
          want.add("part-01500x");
        }
      }
      for (int i = 0; i < Math.min(want.size(), names.size()); i++) {
        eq("entry " + i + " of the paged listing", want.get(i), names.get(i));
      }
      eq("entries of the paged listing", want.size(), names.size());
    });
    r.check("close-2gib-cse-file", () -> {
      long size = 2L << 30;
      Path p = ctx.p(cse + "/two-gib.bin");
      byte[] buf = new byte[1 << 20];
      CRC32 want = new CRC32();
      long t0 = System.nanoTime();
      FSDataOutputStream o = fs.create(p, true);
      long closeStart;
      try {
        for (long off = 0; off < size; off += buf.length) {
          fill(buf, off);
          o.write(buf);
          want.update(buf);
        }
      } finally {
        closeStart = System.nanoTime();
        o.close();
      }
      double closeSecs = (System.nanoTime() - closeStart) / 1e9;
      eq("length", size, fs.getFileStatus(p).getLen());
      CRC32 got = new CRC32();
      try (InputStream in = fs.open(p)) {
        for (int k; (k = in.read(buf)) > 0; ) {
          got.update(buf, 0, k);
        }
      }
      eq("crc32 of the 2 GiB read back", want.getValue(), got.getValue());
      throw new Runner.PassWithNote(String.format("write %.1f s, close %.1f s", (closeStart - t0) / 1e9, closeSecs));
    });
  }

  /** Deterministic content: the offset of every 8-byte word, mixed. */
  private static void fill(byte[] b, long off) {
    for (int i = 0; i < b.length; i += 8) {
      long v = (off + i) * 0x9E3779B97F4A7C15L;
      for (int j = 0; j < 8; j++) {
        b[i + j] = (byte) (v >>> (8 * j));
      }
    }
  }
}
