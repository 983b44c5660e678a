package emrfsd.jvmtest;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.util.Arrays;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads one file across a daemon restart: writes it (1 MiB blocks), opens
 * it, reads into its second block, prints READY, waits for a line on stdin
 * (the test restarts emrfsd meanwhile), reads the rest through the same
 * open stream and prints OK when every byte matched.
 *
 *   RestartReader hdfs://HOST:PORT /path
 */
public final class RestartReader {
  public static void main(String[] args) throws Exception {
    Configuration conf = new Configuration();
    conf.setInt("dfs.client.retry.window.base", 200); // refetch locations quickly
    FileSystem fs = FileSystem.get(new URI(args[0]), conf);
    Path p = new Path(args[1]);
    int mib = 1 << 20;
    byte[] data = new byte[5 * mib + 123];
    new Random(42).nextBytes(data);
    try (FSDataOutputStream o = fs.create(p, true, 4096, (short) 1, mib)) {
      o.write(data);
    }
    byte[] got = new byte[data.length];
    try (FSDataInputStream in = fs.open(p)) {
      in.readFully(got, 0, mib + mib / 2);
      System.out.println("READY");
      System.out.flush();
      String line = new BufferedReader(new InputStreamReader(System.in)).readLine();
      if (!"GO".equals(line)) {
        throw new IllegalStateException("expected GO, got " + line);
      }
      in.readFully(got, mib + mib / 2, data.length - (mib + mib / 2));
    }
    if (!Arrays.equals(data, got)) {
      throw new IllegalStateException("bytes read across the restart differ");
    }
    System.out.println("OK");
  }
}
