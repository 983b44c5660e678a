package emrfsd.faults;

import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes files through the Hadoop Java client, THREADS at a time, until it
 * is killed or each thread has written MAX files. Each file's size and
 * bytes are a function of its path (the same as the Go side's content and
 * sizeOf in integration/faults). Prints "START path" before create and
 * "CLOSED path size" once close() returned; the Go test reads them.
 *
 * Usage: FaultWriter hdfs://NN dir1,dir2,... prefix threads max
 */
public final class FaultWriter {
  static final PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

  static long fnv64a(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    return h;
  }

  static long sizeOf(String path) {
    long s = fnv64a(path + "#size");
    long r = Long.remainderUnsigned(s, 4);
    long hi = s >>> 8;
    if (r == 0) return 1024 + hi % (64L << 10);
    if (r == 1) return (1L << 20) + hi % (4L << 20);
    return (9L << 20) + hi % (11L << 20);
  }

  /** SplitMix64 seeded by fnv64a(path), 8 little-endian bytes per step. */
  static void write(OutputStream os, String path, long n) throws Exception {
    long state = fnv64a(path);
    byte[] buf = new byte[64 << 10];
    long left = n;
    while (left > 0) {
      int k = (int) Math.min(buf.length, left);
      for (int i = 0; i < k; i += 8) {
        state += 0x9E3779B97F4A7C15L;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z = z ^ (z >>> 31);
        for (int j = 0; j < 8 && i + j < k; j++) buf[i + j] = (byte) (z >>> (8 * j));
      }
      os.write(buf, 0, k);
      left -= k;
    }
  }

  public static void main(String[] args) throws Exception {
    URI nn = URI.create(args[0]);
    String[] dirs = args[1].split(",");
    String prefix = args[2];
    int threads = Integer.parseInt(args[3]);
    int max = Integer.parseInt(args[4]);
    Configuration c = new Configuration();
    c.set("fs.defaultFS", nn.toString());
    c.setInt("dfs.replication", 1);
    c.setInt("ipc.client.connect.max.retries", 1);
    c.setInt("ipc.client.connect.retry.interval", 100);
    c.setInt("ipc.client.connect.max.retries.on.timeouts", 1);
    c.setBoolean("dfs.client.retry.policy.enabled", false);
    c.setBoolean("fs.hdfs.impl.disable.cache", true);
    Thread[] ts = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      final int id = t;
      ts[t] = new Thread(() -> {
        try (FileSystem fs = FileSystem.newInstance(nn, c)) {
          for (int i = 0; i < max; i++) {
            String path = "/" + dirs[(id + i) % dirs.length] + "/" + prefix + "/j" + id + "-" + i;
            long n = sizeOf(path);
            out.println("START " + path);
            try (OutputStream os = fs.create(new Path(path), false)) {
              write(os, path, n);
            }
            out.println("CLOSED " + path + " " + n);
          }
        } catch (Throwable e) {
          out.println("ERROR thread " + id + ": " + e);
        }
      });
      ts[t].start();
    }
    out.println("READY");
    for (Thread t : ts) t.join();
    out.println("DONE");
  }
}
