package emrfsd.jvmtest;

import static emrfsd.jvmtest.Check.bytesEq;
import static emrfsd.jvmtest.Check.eq;
import static emrfsd.jvmtest.Check.isTrue;

import java.io.FileNotFoundException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.XAttrSetFlag;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.web.WebHdfsFileSystem;
import org.apache.hadoop.security.AccessControlException;

/**
 * Hadoop's webhdfs:// FileSystem (WebHdfsFileSystem, Hadoop 3.4.1) against
 * emrfsd's WebHDFS, in every bucket, as the superuser and as a second user,
 * cross-checked with hdfs:// (the RPC front end) on the same daemon.
 *
 * <p>Group "webhdfs" of the JVM test tier. Besides Ctx's properties it reads
 * emrfsd.webhdfs, the daemon's WebHDFS address as webhdfs://HOST:PORT. See
 * ../../../README.md for how to plug it in.
 */
final class WebHdfsScenarios {
  private final Ctx ctx;
  private final Runner r;
  private final URI web;

  WebHdfsScenarios(Ctx ctx, Runner r) {
    this.ctx = ctx;
    this.r = r;
    String w = System.getProperty("emrfsd.webhdfs");
    if (w == null || w.isEmpty()) {
      throw new IllegalArgumentException("system property emrfsd.webhdfs is not set");
    }
    this.web = URI.create(w);
  }

  /** A webhdfs:// FileSystem for a user (uncached: each user its own). */
  FileSystem webFs(String user) throws Exception {
    Configuration c = ctx.conf();
    c.setInt("dfs.http.client.retry.max.attempts", 1);
    c.setBoolean("dfs.http.client.retry.policy.enabled", false);
    return ctx.as(user, () -> FileSystem.newInstance(web, c));
  }

  void run() throws Exception {
    FileSystem su = webFs(ctx.superuser);
    FileSystem alice = webFs(ctx.user);
    FileSystem rpc = ctx.fs();
    r.check("is-webhdfs", () -> {
      isTrue("webhdfs:// gives " + su.getClass().getName(), su instanceof WebHdfsFileSystem);
      eq("home directory", su.makeQualified(new Path("/user/" + ctx.superuser)), su.getHomeDirectory());
      eq("server default block size", ctx.serverBlockSize, su.getServerDefaults(new Path("/")).getBlockSize());
    });
    for (String b : ctx.buckets) {
      bucket(b, su, alice, rpc);
    }
  }

  private void bucket(String b, FileSystem su, FileSystem alice, FileSystem rpc) throws Exception {
    String base = "/" + b + "/webhdfs-" + ctx.run;
    Path dir = new Path(base);
    Path f = new Path(base + "/f.bin");
    byte[] data = Ctx.data(3 * Ctx.MiB + 4321, b.hashCode());

    r.check(b + "/create-read", () -> {
      isTrue("mkdirs", su.mkdirs(dir, new FsPermission((short) 0755)));
      try (FSDataOutputStream o = su.create(f, true)) {
        o.write(data);
      }
      FileStatus st = su.getFileStatus(f);
      eq("length", (long) data.length, st.getLen());
      eq("owner", ctx.superuser, st.getOwner());
      isTrue("is a file", st.isFile());
      bytesEq("read back over webhdfs", data, Ctx.read(su, f));
      bytesEq("read back over hdfs://", data, Ctx.read(rpc, new Path(ctx.q(base + "/f.bin"))));
    });

    r.check(b + "/seek-pread", () -> {
      try (FSDataInputStream in = su.open(f)) {
        in.seek(Ctx.MiB + 7);
        byte[] got = new byte[100_000];
        in.readFully(got);
        bytesEq("after seek", Arrays.copyOfRange(data, Ctx.MiB + 7, Ctx.MiB + 7 + 100_000), got);
        byte[] p = new byte[5000];
        in.readFully(2 * Ctx.MiB, p);
        bytesEq("positioned read", Arrays.copyOfRange(data, 2 * Ctx.MiB, 2 * Ctx.MiB + 5000), p);
      }
    });

    r.check(b + "/rpc-written-read", () -> {
      Path g = new Path(ctx.q(base + "/rpc.bin"));
      Ctx.write(rpc, g, data);
      bytesEq("webhdfs reads what RPC wrote", data, Ctx.read(su, new Path(base + "/rpc.bin")));
    });

    r.check(b + "/checksum-equals-rpc", () -> {
      FileChecksum w = su.getFileChecksum(f);
      FileChecksum h = rpc.getFileChecksum(new Path(ctx.q(base + "/f.bin")));
      eq("algorithm", h.getAlgorithmName(), w.getAlgorithmName());
      eq("bytes", Check.hex(h.getBytes()), Check.hex(w.getBytes()));
    });

    r.check(b + "/block-locations", () -> {
      org.apache.hadoop.fs.BlockLocation[] bl = su.getFileBlockLocations(f, 0, data.length);
      eq("blocks", 1, bl.length);
      eq("offset", 0L, bl[0].getOffset());
      eq("length", (long) data.length, bl[0].getLength());
      isTrue("a host", bl[0].getHosts().length == 1);
    });

    r.check(b + "/list", () -> {
      su.mkdirs(new Path(base + "/sub"));
      List<String> names = new ArrayList<>();
      for (FileStatus s : su.listStatus(dir)) {
        names.add(s.getPath().getName());
      }
      eq("listStatus", List.of("f.bin", "rpc.bin", "sub"), names);
      List<String> it = new ArrayList<>();
      RemoteIterator<FileStatus> ri = su.listStatusIterator(dir);
      while (ri.hasNext()) {
        it.add(ri.next().getPath().getName());
      }
      eq("listStatusIterator (LISTSTATUS_BATCH)", names, it);
      Check.throwsExactly("listStatus of a missing dir", FileNotFoundException.class, () -> su.listStatus(new Path(base + "/nope")));
    });

    r.check(b + "/attributes", () -> {
      su.setPermission(f, new FsPermission((short) 0640));
      su.setOwner(f, "bob", "staff");
      su.setTimes(f, 1_700_000_000_000L, 1_700_000_001_000L);
      FileStatus st = su.getFileStatus(f);
      eq("permission", "640", Check.octal(st));
      eq("owner", "bob", st.getOwner());
      eq("group", "staff", st.getGroup());
      eq("mtime", 1_700_000_000_000L, st.getModificationTime());
      eq("atime", 1_700_000_001_000L, st.getAccessTime());
      su.setXAttr(f, "user.k", "v".getBytes(StandardCharsets.UTF_8), java.util.EnumSet.of(XAttrSetFlag.CREATE));
      eq("xattr", "v", new String(su.getXAttr(f, "user.k"), StandardCharsets.UTF_8));
      Map<String, byte[]> all = su.getXAttrs(f);
      eq("xattrs", List.of("user.k"), new ArrayList<>(all.keySet()));
      eq("listXAttrs", List.of("user.k"), su.listXAttrs(f));
      su.removeXAttr(f, "user.k");
      eq("after remove", List.of(), su.listXAttrs(f));
      ContentSummary cs = su.getContentSummary(dir);
      eq("files", 2L, cs.getFileCount());
      eq("length", 2L * data.length, cs.getLength());
      eq("trash root", su.makeQualified(new Path("/" + b + "/.Trash/" + ctx.superuser)), su.getTrashRoot(f));
    });

    r.check(b + "/second-user-refused", () -> {
      Check.throwsExactly("alice creates in a 755 directory", AccessControlException.class, () -> {
        try (FSDataOutputStream o = alice.create(new Path(base + "/a.bin"))) {
          o.write(1);
        }
      });
      Check.throwsExactly("alice reads a 640 file of bob's", AccessControlException.class, () -> Ctx.read(alice, f));
      Check.throwsExactly("alice deletes", AccessControlException.class, () -> alice.delete(f, false));
      Check.throwsExactly("alice mkdirs", AccessControlException.class, () -> alice.mkdirs(new Path(base + "/a")));
      isTrue("nothing was created", !su.exists(new Path(base + "/a.bin")));
    });

    r.check(b + "/overwrite-refused", () -> {
      Check.throwsExactly("create without overwrite", FileAlreadyExistsException.class, () -> {
        try (FSDataOutputStream o = su.create(new Path(base + "/rpc.bin"), false)) {
          o.write(1);
        }
      });
    });

    r.check(b + "/append-truncate-refused", () -> {
      // The client rebuilds the server's UnsupportedOperationException from
      // the RemoteException's javaClassName.
      UnsupportedOperationException e = Check.throwsExactly("append", UnsupportedOperationException.class,
          () -> su.append(new Path(base + "/rpc.bin")).close());
      isTrue("append's message: " + e.getMessage(), e.getMessage().contains("append to " + base + "/rpc.bin is not supported"));
      e = Check.throwsExactly("truncate to 10", UnsupportedOperationException.class, () -> su.truncate(new Path(base + "/rpc.bin"), 10));
      isTrue("truncate's message: " + e.getMessage(), e.getMessage().contains("to 10 bytes is not supported"));
      isTrue("truncate to 0", su.truncate(new Path(base + "/rpc.bin"), 0));
      eq("length after truncate", 0L, su.getFileStatus(new Path(base + "/rpc.bin")).getLen());
    });

    r.check(b + "/rename-delete", () -> {
      Path g = new Path(base + "/g.bin");
      isTrue("rename", su.rename(f, g));
      isTrue("old gone", !su.exists(f));
      bytesEq("renamed content", data, Ctx.read(su, g));
      isTrue("rename of a missing file is false", !su.rename(f, new Path(base + "/x")));
      isTrue("recursive delete", su.delete(dir, true));
      isTrue("gone", !su.exists(dir));
      isTrue("gone over hdfs:// too", !rpc.exists(new Path(ctx.q(base))));
    });
  }
}
