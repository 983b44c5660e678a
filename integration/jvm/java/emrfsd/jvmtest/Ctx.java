package emrfsd.jvmtest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.security.PrivilegedExceptionAction;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.security.UserGroupInformation;

/**
 * What every scenario needs: the daemon's address, the buckets, the users,
 * a client configuration and FileSystem handles per user.
 *
 * System properties: emrfsd.nn (hdfs://127.0.0.1:PORT), emrfsd.datanode
 * (127.0.0.1:PORT), emrfsd.buckets (plain,ssekms,csekms), emrfsd.superuser
 * (the OS user running emrfsd), emrfsd.user (a second user), emrfsd.user2 (a
 * third one), emrfsd.trash.minutes (the daemon's fs.trash.interval),
 * emrfsd.server.blocksize (the daemon's dfs.blocksize), emrfsd.local.tmp (a
 * local scratch directory), emrfsd.run (a token unique to this run).
 */
final class Ctx {
  static final int MiB = 1 << 20;

  final URI nn;
  final String datanode;
  final List<String> buckets;
  final String superuser, user, user2;
  final long trashMinutes;
  final long serverBlockSize;
  final String localTmp;
  final String run;
  final long startMillis = System.currentTimeMillis();
  private final Map<String, UserGroupInformation> ugis = new HashMap<>();

  Ctx() {
    nn = URI.create(need("emrfsd.nn"));
    datanode = need("emrfsd.datanode");
    buckets = Runner.list(need("emrfsd.buckets"));
    superuser = need("emrfsd.superuser");
    user = System.getProperty("emrfsd.user", "alice");
    user2 = System.getProperty("emrfsd.user2", "bob");
    trashMinutes = Long.parseLong(need("emrfsd.trash.minutes"));
    serverBlockSize = Long.parseLong(need("emrfsd.server.blocksize"));
    localTmp = need("emrfsd.local.tmp");
    run = need("emrfsd.run");
  }

  private static String need(String k) {
    String v = System.getProperty(k);
    if (v == null || v.isEmpty()) {
      throw new IllegalArgumentException("system property " + k + " is not set");
    }
    return v;
  }

  /**
   * A fresh client configuration as a user of a one-DataNode cluster would
   * have it: replication 1, no client-side trash (the daemon's
   * fs.trash.interval decides), bounded retries so a broken call fails
   * within a check's timeout.
   */
  Configuration conf() {
    Configuration c = new Configuration();
    c.set("fs.defaultFS", nn.toString());
    c.setInt("dfs.replication", 1);
    c.setLong("fs.trash.interval", 0);
    c.setInt("ipc.client.connect.max.retries", 3);
    c.setInt("ipc.client.connect.retry.interval", 200);
    c.setInt("ipc.client.connect.max.retries.on.timeouts", 3);
    c.setInt("ipc.client.rpc-timeout.ms", 60000);
    c.setBoolean("dfs.client.retry.policy.enabled", false);
    c.setInt("dfs.client.max.block.acquire.failures", 1);
    c.setInt("dfs.client.retry.window.base", 100);
    return c;
  }

  /** The UGI for a user name (simple auth: the daemon trusts the name). */
  synchronized UserGroupInformation ugi(String name) throws IOException {
    UserGroupInformation u = ugis.get(name);
    if (u == null) {
      u = name.equals(superuser) ? UserGroupInformation.getCurrentUser() : UserGroupInformation.createRemoteUser(name);
      ugis.put(name, u);
    }
    return u;
  }

  /** The (cached) FileSystem of a user. */
  FileSystem fs(String name) throws Exception {
    return as(name, () -> FileSystem.get(nn, conf()));
  }

  /** The superuser's FileSystem. */
  FileSystem fs() throws Exception {
    return fs(superuser);
  }

  /** A new, uncached FileSystem with extra settings, for the superuser. */
  FileSystem newFs(String name, String... kv) throws Exception {
    Configuration c = conf();
    for (int i = 0; i < kv.length; i += 2) {
      c.set(kv[i], kv[i + 1]);
    }
    return as(name, () -> FileSystem.newInstance(nn, c));
  }

  <T> T as(String name, PrivilegedExceptionAction<T> a) throws Exception {
    UserGroupInformation u = ugi(name);
    if (name.equals(superuser)) {
      return a.run();
    }
    return u.doAs(a);
  }

  Path p(String s) {
    return new Path(s);
  }

  /** The qualified form of an absolute path, as the client returns it. */
  String q(String abs) {
    return nn.toString() + abs;
  }

  // ---- data helpers ----

  static byte[] data(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static void write(FileSystem fs, Path p, byte[] b) throws IOException {
    try (FSDataOutputStream o = fs.create(p, true)) {
      o.write(b);
    }
  }

  /** Creates p with a 1 MiB block size and replication 1. */
  static void write1m(FileSystem fs, Path p, byte[] b) throws IOException {
    try (FSDataOutputStream o = fs.create(p, true, 4096, (short) 1, MiB)) {
      o.write(b);
    }
  }

  static byte[] read(FileSystem fs, Path p) throws IOException {
    try (FSDataInputStream in = fs.open(p)) {
      return readAll(in);
    }
  }

  static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) > 0; ) {
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  static void copy(InputStream in, OutputStream out) throws IOException {
    byte[] buf = new byte[64 * 1024];
    for (int n; (n = in.read(buf)) > 0; ) {
      out.write(buf, 0, n);
    }
  }
}
