package emrfsd.jvmtest;

import static emrfsd.jvmtest.Check.eq;
import static emrfsd.jvmtest.Check.fail;
import static emrfsd.jvmtest.Check.isTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.ContentSummary;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileAlreadyExistsException;
import org.apache.hadoop.fs.FileChecksum;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FsServerDefaults;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.ParentNotDirectoryException;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.PathIsNotEmptyDirectoryException;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.hadoop.fs.XAttrSetFlag;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.hdfs.DistributedFileSystem;
import org.apache.hadoop.util.DataChecksum;

/** The FileSystem API (DistributedFileSystem) as the superuser, in every bucket. */
final class ApiScenarios {
  private final Ctx ctx;
  private final Runner r;

  ApiScenarios(Ctx ctx, Runner r) {
    this.ctx = ctx;
    this.r = r;
  }

  private static final byte[] SMALL = "emrfsd: bytes written through DistributedFileSystem\n".getBytes(StandardCharsets.UTF_8);
  private static final int MiB = Ctx.MiB;
  private static final long DEFAULT_BLOCK = 128L * MiB; // the client's dfs.blocksize default

  void run() throws Exception {
    global();
    for (String b : ctx.buckets) {
      bucket(b);
    }
  }

  private void global() throws Exception {
    FileSystem fs = ctx.fs();
    r.check("server-defaults", () -> {
      FsServerDefaults d = fs.getServerDefaults(ctx.p("/"));
      eq("blockSize", ctx.serverBlockSize, d.getBlockSize());
      eq("bytesPerChecksum", 512, d.getBytesPerChecksum());
      eq("checksumType", DataChecksum.Type.CRC32C, d.getChecksumType());
      eq("replication", (short) 1, d.getReplication());
      eq("encryptDataTransfer", false, d.getEncryptDataTransfer());
    });
    r.check("server-defaults-trash-interval", () ->
        eq("trashInterval (minutes, the daemon's fs.trash.interval)", ctx.trashMinutes, fs.getServerDefaults(ctx.p("/")).getTrashInterval()));
    r.check("root-listing-has-buckets", () -> {
      Map<String, FileStatus> m = byName(fs.listStatus(ctx.p("/")));
      for (String b : ctx.buckets) {
        FileStatus st = m.get(b);
        isTrue("listStatus(/) has no directory " + b + " (has " + m.keySet() + ")", st != null && st.isDirectory());
      }
    });
    r.check("home-directory", () -> {
      eq("getHomeDirectory", ctx.q("/user/" + ctx.superuser), fs.getHomeDirectory().toString());
      isTrue("mkdirs(home) returned false", fs.mkdirs(fs.getHomeDirectory()));
      Path f = new Path(fs.getHomeDirectory(), "jvm-api-" + ctx.run + ".txt");
      Ctx.write(fs, f, SMALL);
      Check.bytesEq("file in the home directory", SMALL, Ctx.read(fs, f));
      eq("owner of a file in the home directory", ctx.superuser, fs.getFileStatus(f).getOwner());
      eq("relative path resolves against home", f.toString(), fs.makeQualified(new Path(f.getName())).toString());
      Check.bytesEq("file read by a relative path", SMALL, Ctx.read(fs, new Path(f.getName())));
    });
  }

  private void ck(String b, String name, Runner.Body body) {
    r.check(b + "/" + name, body);
  }

  private void bucket(String b) throws Exception {
    FileSystem fs = ctx.fs();
    DistributedFileSystem dfs = (DistributedFileSystem) fs;
    String base = "/" + b + "/jvm-api-" + ctx.run;
    Path small = ctx.p(base + "/small.txt");
    Path empty = ctx.p(base + "/empty");
    Path big = ctx.p(base + "/big-1m.bin");
    byte[] bigData = Ctx.data(3 * MiB + MiB / 2 + 7, 0xb16 + b.hashCode());

    ck(b, "create-write-read", () -> {
      isTrue("mkdirs returned false", fs.mkdirs(ctx.p(base)));
      Ctx.write(fs, small, SMALL);
      Check.bytesEq("read back", SMALL, Ctx.read(fs, small));
      FileStatus st = fs.getFileStatus(small);
      eq("isFile", true, st.isFile());
      eq("length", (long) SMALL.length, st.getLen());
      eq("owner", ctx.superuser, st.getOwner());
      eq("group (inherited from the parent)", fs.getFileStatus(ctx.p(base)).getGroup(), st.getGroup());
      eq("permission (666 & ~022)", "644", Check.octal(st));
      eq("replication", (short) 1, st.getReplication());
      eq("block size (the client's default)", DEFAULT_BLOCK, st.getBlockSize());
      Check.recentTime("modification time", st.getModificationTime(), ctx.startMillis);
      Ctx.write(fs, empty, new byte[0]);
      eq("length of an empty file", 0L, fs.getFileStatus(empty).getLen());
    });
    ck(b, "new-paths-inherit-group", () -> {
      // HDFS gives every new file and directory its parent's group, also
      // the parents that mkdirs -p and create make on the way.
      String want = fs.getFileStatus(ctx.p("/" + b)).getGroup();
      String g = base + "/groups";
      fs.mkdirs(ctx.p(g + "/x/y"));
      Ctx.write(fs, ctx.p(g + "/p/q/f"), SMALL);
      StringBuilder bad = new StringBuilder();
      for (String p : new String[] {base, g, g + "/x", g + "/x/y", g + "/p", g + "/p/q", g + "/p/q/f"}) {
        String got = fs.getFileStatus(ctx.p(p)).getGroup();
        if (!want.equals(got)) {
          bad.append(' ').append(p).append('=').append(got);
        }
      }
      if (bad.length() > 0) {
        throw fail("want the bucket root's group %s everywhere, got%s", want, bad);
      }
    });
    ck(b, "create-no-overwrite-existing", () -> {
      Check.throwsExactly("create(existing, overwrite=false)", FileAlreadyExistsException.class, () -> fs.create(small, false).close());
      Check.bytesEq("file after a refused create", SMALL, Ctx.read(fs, small));
    });
    ck(b, "create-overwrite", () -> {
      Path p = ctx.p(base + "/overwrite.txt");
      Ctx.write(fs, p, Ctx.data(5000, 1));
      byte[] second = Ctx.data(100, 2);
      try (FSDataOutputStream o = fs.create(p, true)) {
        o.write(second);
      }
      Check.bytesEq("file after create(overwrite=true)", second, Ctx.read(fs, p));
    });
    ck(b, "create-over-directory", () -> {
      fs.mkdirs(ctx.p(base + "/adir"));
      Check.throwsExactly("create(directory, overwrite=true)", FileAlreadyExistsException.class, () -> fs.create(ctx.p(base + "/adir"), true).close());
      isTrue("directory gone after a refused create", fs.getFileStatus(ctx.p(base + "/adir")).isDirectory());
    });
    ck(b, "create-under-file", () ->
        Check.throwsExactly("create(file/child)", ParentNotDirectoryException.class, () -> fs.create(ctx.p(base + "/small.txt/child"), true).close()));
    ck(b, "mkdirs-over-file", () -> {
      Check.throwsExactly("mkdirs(existing file)", FileAlreadyExistsException.class, () -> fs.mkdirs(small));
      isTrue("file changed by a refused mkdirs", fs.getFileStatus(small).isFile());
    });
    ck(b, "missing-path", () -> {
      Path m = ctx.p(base + "/no-such-file");
      Check.throwsExactly("open(missing)", FileNotFoundException.class, () -> fs.open(m).close());
      Check.throwsExactly("getFileStatus(missing)", FileNotFoundException.class, () -> fs.getFileStatus(m));
      Check.throwsExactly("listStatus(missing)", FileNotFoundException.class, () -> fs.listStatus(m));
      eq("exists(missing)", false, fs.exists(m));
    });
    ck(b, "hflush-hsync-close", () -> {
      Path p = ctx.p(base + "/flushed.txt");
      byte[] a = Ctx.data(1000, 3), c = Ctx.data(70000, 4), d = Ctx.data(10, 5);
      try (FSDataOutputStream o = fs.create(p, true)) {
        o.write(a);
        o.hflush();
        o.write(c);
        o.hsync();
        o.write(d);
      }
      Check.bytesEq("file written with hflush and hsync", concat(a, c, d), Ctx.read(fs, p));
    });
    ck(b, "hflush-not-visible-documented", () -> {
      // HDFS makes hflushed data visible to new readers; S3 shows an object
      // only once its upload completes. emrfsd documents this limitation:
      // a reader of a file being written gets a clear FileNotFoundException
      // (never a short or empty read), and the whole file once it is closed.
      Path p = ctx.p(base + "/flush-visible.txt");
      byte[] a = Ctx.data(3000, 6);
      FSDataOutputStream o = fs.create(p, true);
      try {
        o.write(a);
        o.hflush();
        eq("getFileStatus length of a file being written", (long) a.length, fs.getFileStatus(p).getLen());
        String msg = String.valueOf(Check.throwsExactly("open of a file being written", FileNotFoundException.class, () -> Ctx.read(fs, p)).getMessage());
        isTrue("message says the file is being written: " + msg, msg.contains("is being written"));
      } finally {
        o.close();
      }
      Check.bytesEq("read after close", a, Ctx.read(fs, p));
    });
    ck(b, "isFileClosed-while-open", () -> {
      Path p = ctx.p(base + "/open.txt");
      FSDataOutputStream o = fs.create(p, true);
      try {
        o.write(SMALL);
        o.hflush();
        eq("isFileClosed of a file being written", false, dfs.isFileClosed(p));
      } finally {
        o.close();
      }
      eq("isFileClosed after close", true, dfs.isFileClosed(p));
    });
    ck(b, "isFileClosed-recoverLease", () -> {
      eq("isFileClosed of a closed file", true, dfs.isFileClosed(small));
      eq("recoverLease of a closed file", true, dfs.recoverLease(small));
    });
    ck(b, "multiblock-content", () -> {
      try (FSDataOutputStream o = fs.create(big, FsPermission.getFileDefault(), true, 4096, (short) 1, MiB, null)) {
        for (int off = 0; off < bigData.length; off += 100_000) {
          o.write(bigData, off, Math.min(100_000, bigData.length - off));
        }
      }
      Check.bytesEq("multi-block file read back", bigData, Ctx.read(fs, big));
    });
    ck(b, "blocksize-1m-status", () ->
        eq("getFileStatus block size of a file created with blockSize=1 MiB", (long) MiB, fs.getFileStatus(big).getBlockSize()));
    ck(b, "blocksize-1m-locations", () -> {
      FileStatus st = fs.getFileStatus(big);
      BlockLocation[] bl = fs.getFileBlockLocations(st, 0, st.getLen());
      StringBuilder got = new StringBuilder();
      for (BlockLocation l : bl) {
        got.append(" [").append(l.getOffset()).append('+').append(l.getLength()).append(']');
      }
      StringBuilder want = new StringBuilder();
      for (long off = 0; off < bigData.length; off += MiB) {
        want.append(" [").append(off).append('+').append(Math.min(MiB, bigData.length - off)).append(']');
      }
      eq("block locations (offset+length) of a 1 MiB-block file", want.toString(), got.toString());
    });
    ck(b, "block-locations", () -> {
      FileStatus st = fs.getFileStatus(small);
      BlockLocation[] bl = fs.getFileBlockLocations(st, 0, st.getLen());
      eq("blocks of a small file", 1, bl.length);
      eq("offset", 0L, bl[0].getOffset());
      eq("length", (long) SMALL.length, bl[0].getLength());
      eq("names (the daemon's DataNode)", "[" + ctx.datanode + "]", Arrays.toString(bl[0].getNames()));
      isTrue("no hosts", bl[0].getHosts().length == 1);
      eq("blocks of an empty file", 0, fs.getFileBlockLocations(fs.getFileStatus(empty), 0, 0).length);
    });
    ck(b, "seek", () -> {
      try (FSDataInputStream in = fs.open(big)) {
        long[] at = {MiB - 10, 10, 3L * MiB + 5, 2L * MiB - 1};
        for (long pos : at) {
          in.seek(pos);
          eq("getPos after seek", pos, in.getPos());
          byte[] buf = new byte[20];
          in.readFully(buf);
          Check.bytesEq("20 bytes at " + pos, Check.slice(bigData, (int) pos, 20), buf);
          eq("getPos after reading", pos + 20, in.getPos());
        }
      }
    });
    ck(b, "pread-across-blocks", () -> {
      try (FSDataInputStream in = fs.open(big)) {
        byte[] buf = new byte[2 * MiB + 100];
        in.readFully(MiB - 50, buf);
        Check.bytesEq("readFully(position) across two block boundaries", Check.slice(bigData, MiB - 50, buf.length), buf);
        byte[] small2 = new byte[300];
        int n = 0;
        while (n < small2.length) {
          int k = in.read(2L * MiB - 150 + n, small2, n, small2.length - n);
          if (k < 0) {
            throw fail("positioned read hit EOF at %d", 2L * MiB - 150 + n);
          }
          n += k;
        }
        Check.bytesEq("read(position) across a block boundary", Check.slice(bigData, 2 * MiB - 150, 300), small2);
        eq("getPos unchanged by positioned reads", 0L, in.getPos());
      }
    });
    ck(b, "bytebuffer-read", () -> {
      try (FSDataInputStream in = fs.open(big)) {
        in.seek(MiB - 1000);
        ByteBuffer bb = ByteBuffer.allocate(64 * 1024);
        while (bb.hasRemaining()) {
          if (in.read(bb) < 0) {
            throw fail("read(ByteBuffer) hit EOF");
          }
        }
        Check.bytesEq("read(ByteBuffer) across a block boundary", Check.slice(bigData, MiB - 1000, 64 * 1024), bb.array());
        ByteBuffer direct = ByteBuffer.allocateDirect(5000);
        in.readFully(2L * MiB - 2500, direct);
        direct.flip();
        byte[] got = new byte[direct.remaining()];
        direct.get(got);
        Check.bytesEq("readFully(position, direct ByteBuffer)", Check.slice(bigData, 2 * MiB - 2500, 5000), got);
      }
    });
    ck(b, "openFile-builder", () -> {
      try (FSDataInputStream in = fs.openFile(big).opt("fs.option.openfile.read.policy", "random").build().get()) {
        Check.bytesEq("openFile().build().get()", bigData, Ctx.readAll(in));
      }
      FileStatus st = fs.getFileStatus(small);
      try (FSDataInputStream in = fs.openFile(small).withFileStatus(st).build().get()) {
        Check.bytesEq("openFile().withFileStatus()", SMALL, Ctx.readAll(in));
      }
    });

    // Listings agree with getFileStatus, on values that are not defaults.
    String meta = base + "/meta";
    Path mf = ctx.p(meta + "/f.bin");
    long mtime = 1_600_000_000_000L, atime = 1_650_000_000_000L;
    ck(b, "set-attributes", () -> {
      fs.mkdirs(ctx.p(meta + "/sub"));
      Ctx.write(fs, mf, Ctx.data(1234, 7));
      fs.setPermission(mf, new FsPermission((short) 0640));
      fs.setOwner(mf, ctx.user, "staff");
      fs.setTimes(mf, mtime, atime);
      fs.setPermission(ctx.p(meta + "/sub"), new FsPermission((short) 0750));
      fs.setOwner(ctx.p(meta + "/sub"), ctx.user, "staff");
      FileStatus st = fs.getFileStatus(mf);
      eq("permission after setPermission", "640", Check.octal(st));
      eq("owner:group after setOwner", ctx.user + ":staff", st.getOwner() + ":" + st.getGroup());
      eq("modification time after setTimes", mtime, st.getModificationTime());
      eq("access time after setTimes", atime, st.getAccessTime());
      FileStatus ds = fs.getFileStatus(ctx.p(meta + "/sub"));
      eq("directory permission after setPermission", "750", Check.octal(ds));
      eq("directory owner:group after setOwner", ctx.user + ":staff", ds.getOwner() + ":" + ds.getGroup());
    });
    ck(b, "setTimes-directory", () -> {
      Path d = ctx.p(meta + "/sub");
      fs.setTimes(d, mtime, -1);
      eq("directory modification time after setTimes", mtime, fs.getFileStatus(d).getModificationTime());
      eq("listing modification time of the directory", mtime, byName(fs.listStatus(ctx.p(meta))).get("sub").getModificationTime());
    });
    ck(b, "setPermission-only-changes-permission", () -> {
      Path p = ctx.p(meta + "/perm-only.txt");
      Ctx.write(fs, p, SMALL);
      FileStatus before = fs.getFileStatus(p);
      fs.setPermission(p, new FsPermission((short) 0604));
      FileStatus after = fs.getFileStatus(p);
      eq("permission", "604", Check.octal(after));
      eq("length", before.getLen(), after.getLen());
      eq("owner:group", before.getOwner() + ":" + before.getGroup(), after.getOwner() + ":" + after.getGroup());
      Check.bytesEq("content after setPermission", SMALL, Ctx.read(fs, p));
    });
    ck(b, "dir-mtime", () -> {
      FileStatus ds = fs.getFileStatus(ctx.p(meta));
      Check.recentTime("getFileStatus modification time of a directory", ds.getModificationTime(), ctx.startMillis);
    });
    ck(b, "listing-dir-mtime", () -> {
      FileStatus ds = byName(fs.listStatus(ctx.p(base))).get("meta");
      isTrue("listStatus has no entry meta", ds != null);
      Check.recentTime("listStatus modification time of a directory", ds.getModificationTime(), ctx.startMillis);
    });
    ck(b, "listStatus-agrees-file", () ->
        Check.sameStatus("listStatus entry of " + mf, fs.getFileStatus(mf), byName(fs.listStatus(ctx.p(meta))).get("f.bin")));
    ck(b, "listStatus-agrees-dir", () ->
        Check.sameStatus("listStatus entry of " + meta + "/sub", fs.getFileStatus(ctx.p(meta + "/sub")), byName(fs.listStatus(ctx.p(meta))).get("sub")));
    ck(b, "listStatus-of-file", () -> {
      FileStatus[] l = fs.listStatus(mf);
      eq("entries of listStatus(file)", 1, l.length);
      Check.sameStatus("listStatus(file)", fs.getFileStatus(mf), l[0]);
    });
    ck(b, "listStatusIterator-agrees", () -> {
      Map<String, FileStatus> m = new HashMap<>();
      RemoteIterator<FileStatus> it = fs.listStatusIterator(ctx.p(meta));
      while (it.hasNext()) {
        FileStatus s = it.next();
        m.put(s.getPath().getName(), s);
      }
      Check.sameStatus("listStatusIterator entry of the file", fs.getFileStatus(mf), m.get("f.bin"));
      Check.sameStatus("listStatusIterator entry of the directory", fs.getFileStatus(ctx.p(meta + "/sub")), m.get("sub"));
    });
    ck(b, "listLocatedStatus-agrees", () -> {
      Map<String, LocatedFileStatus> m = new HashMap<>();
      RemoteIterator<LocatedFileStatus> it = fs.listLocatedStatus(ctx.p(meta));
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        m.put(s.getPath().getName(), s);
      }
      Check.sameStatus("listLocatedStatus entry of the file", fs.getFileStatus(mf), m.get("f.bin"));
      Check.sameStatus("listLocatedStatus entry of the directory", fs.getFileStatus(ctx.p(meta + "/sub")), m.get("sub"));
      BlockLocation[] bl = m.get("f.bin").getBlockLocations();
      eq("block locations in the listing", 1, bl.length);
      eq("located block length", 1234L, bl[0].getLength());
    });
    ck(b, "listFiles-recursive-agrees", () -> {
      Map<String, LocatedFileStatus> m = new HashMap<>();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(ctx.p(base), true);
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        m.put(s.getPath().toUri().getPath(), s);
      }
      isTrue("listFiles(recursive) returned a directory", m.values().stream().noneMatch(FileStatus::isDirectory));
      for (Path p : new Path[] {small, empty, mf}) {
        Check.sameStatus("listFiles entry of " + p, fs.getFileStatus(p), m.get(p.toString()));
      }
    });
    ck(b, "globStatus-agrees", () -> {
      FileStatus[] g = fs.globStatus(ctx.p(meta + "/*"));
      Map<String, FileStatus> m = byName(g);
      eq("globStatus names", List.of("f.bin", "perm-only.txt", "sub"), sortedNames(g));
      Check.sameStatus("globStatus entry of the file", fs.getFileStatus(mf), m.get("f.bin"));
      Check.sameStatus("globStatus entry of the directory", fs.getFileStatus(ctx.p(meta + "/sub")), m.get("sub"));
    });
    ck(b, "listing-sorted", () -> {
      String d = base + "/sorted";
      for (String n : new String[] {"b", "a1", "C", "a", "_x", "a-b"}) {
        Ctx.write(fs, ctx.p(d + "/" + n), new byte[] {1});
      }
      List<String> got = new ArrayList<>();
      for (FileStatus s : fs.listStatus(ctx.p(d))) {
        got.add(s.getPath().getName());
      }
      eq("listStatus order (by name bytes)", List.of("C", "_x", "a", "a-b", "a1", "b"), got);
    });

    ck(b, "xattrs-file", () -> xattrs(fs, small));
    ck(b, "xattrs-directory", () -> xattrs(fs, ctx.p(meta)));
    ck(b, "xattr-create-flag-on-existing", () -> {
      fs.setXAttr(small, "user.once", new byte[] {1});
      if (!throwsIo(() -> fs.setXAttr(small, "user.once", new byte[] {2}, EnumSet.of(XAttrSetFlag.CREATE)))) {
        throw fail("setXAttr(CREATE) on an existing attribute did not throw");
      }
      Check.bytesEq("attribute after a refused CREATE", new byte[] {1}, fs.getXAttr(small, "user.once"));
      if (!throwsIo(() -> fs.setXAttr(small, "user.never", new byte[] {2}, EnumSet.of(XAttrSetFlag.REPLACE)))) {
        throw fail("setXAttr(REPLACE) on a missing attribute did not throw");
      }
    });

    // rename: the old rename's boolean results.
    String rn = base + "/rename";
    ck(b, "rename-file", () -> {
      Ctx.write(fs, ctx.p(rn + "/f1"), SMALL);
      eq("rename(file, new name)", true, fs.rename(ctx.p(rn + "/f1"), ctx.p(rn + "/f2")));
      eq("source exists after rename", false, fs.exists(ctx.p(rn + "/f1")));
      Check.bytesEq("renamed file", SMALL, Ctx.read(fs, ctx.p(rn + "/f2")));
    });
    ck(b, "rename-multiblock-file", () -> {
      Ctx.write1m(fs, ctx.p(rn + "/big1"), bigData);
      eq("rename(multi-block file)", true, fs.rename(ctx.p(rn + "/big1"), ctx.p(rn + "/big2")));
      Check.bytesEq("renamed multi-block file", bigData, Ctx.read(fs, ctx.p(rn + "/big2")));
    });
    ck(b, "rename-onto-existing-file", () -> {
      byte[] other = Ctx.data(99, 8);
      Ctx.write(fs, ctx.p(rn + "/src"), SMALL);
      Ctx.write(fs, ctx.p(rn + "/dst"), other);
      eq("rename(file, existing file)", false, fs.rename(ctx.p(rn + "/src"), ctx.p(rn + "/dst")));
      Check.bytesEq("source after a refused rename", SMALL, Ctx.read(fs, ctx.p(rn + "/src")));
      Check.bytesEq("destination after a refused rename", other, Ctx.read(fs, ctx.p(rn + "/dst")));
    });
    ck(b, "rename-missing-source", () ->
        eq("rename(missing, x)", false, fs.rename(ctx.p(rn + "/missing"), ctx.p(rn + "/x"))));
    ck(b, "rename-missing-destination-parent", () -> {
      Ctx.write(fs, ctx.p(rn + "/orphan"), SMALL);
      eq("rename(file, missing-dir/x)", false, fs.rename(ctx.p(rn + "/orphan"), ctx.p(rn + "/no-dir/x")));
      eq("source exists after a refused rename", true, fs.exists(ctx.p(rn + "/orphan")));
    });
    ck(b, "rename-to-itself", () -> {
      Ctx.write(fs, ctx.p(rn + "/self"), SMALL);
      eq("rename(file, same path)", true, fs.rename(ctx.p(rn + "/self"), ctx.p(rn + "/self")));
      Check.bytesEq("file after rename to itself", SMALL, Ctx.read(fs, ctx.p(rn + "/self")));
    });
    ck(b, "rename-file-into-directory", () -> {
      Ctx.write(fs, ctx.p(rn + "/mover"), SMALL);
      fs.mkdirs(ctx.p(rn + "/into"));
      eq("rename(file, existing dir)", true, fs.rename(ctx.p(rn + "/mover"), ctx.p(rn + "/into")));
      Check.bytesEq("file moved into the directory", SMALL, Ctx.read(fs, ctx.p(rn + "/into/mover")));
    });
    ck(b, "rename-directory", () -> {
      Ctx.write(fs, ctx.p(rn + "/d1/x/f"), SMALL);
      Ctx.write1m(fs, ctx.p(rn + "/d1/big"), bigData);
      eq("rename(dir, new name)", true, fs.rename(ctx.p(rn + "/d1"), ctx.p(rn + "/d2")));
      eq("source directory exists after rename", false, fs.exists(ctx.p(rn + "/d1")));
      Check.bytesEq("file of the renamed directory", SMALL, Ctx.read(fs, ctx.p(rn + "/d2/x/f")));
      Check.bytesEq("multi-block file of the renamed directory", bigData, Ctx.read(fs, ctx.p(rn + "/d2/big")));
    });
    ck(b, "rename-directory-into-directory", () -> {
      Ctx.write(fs, ctx.p(rn + "/e1/f"), SMALL);
      fs.mkdirs(ctx.p(rn + "/e2"));
      eq("rename(dir, existing dir)", true, fs.rename(ctx.p(rn + "/e1"), ctx.p(rn + "/e2")));
      Check.bytesEq("file of a directory moved inside another", SMALL, Ctx.read(fs, ctx.p(rn + "/e2/e1/f")));
    });
    ck(b, "rename-directory-under-itself", () -> {
      Ctx.write(fs, ctx.p(rn + "/g1/f"), SMALL);
      eq("rename(dir, dir/sub)", false, fs.rename(ctx.p(rn + "/g1"), ctx.p(rn + "/g1/sub")));
      Check.bytesEq("file after a refused rename", SMALL, Ctx.read(fs, ctx.p(rn + "/g1/f")));
    });
    ck(b, "rename2-overwrite", () -> {
      byte[] other = Ctx.data(99, 9);
      Ctx.write(fs, ctx.p(rn + "/o-src"), SMALL);
      Ctx.write(fs, ctx.p(rn + "/o-dst"), other);
      Check.throwsExactly("rename(src, existing, NONE)", FileAlreadyExistsException.class,
          () -> dfs.rename(ctx.p(rn + "/o-src"), ctx.p(rn + "/o-dst"), Options.Rename.NONE));
      dfs.rename(ctx.p(rn + "/o-src"), ctx.p(rn + "/o-dst"), Options.Rename.OVERWRITE);
      eq("source exists after rename(OVERWRITE)", false, fs.exists(ctx.p(rn + "/o-src")));
      Check.bytesEq("destination after rename(OVERWRITE)", SMALL, Ctx.read(fs, ctx.p(rn + "/o-dst")));
    });

    // delete
    String del = base + "/delete";
    ck(b, "delete-missing", () -> eq("delete(missing)", false, fs.delete(ctx.p(del + "/missing"), true)));
    ck(b, "delete-file", () -> {
      Ctx.write(fs, ctx.p(del + "/f"), SMALL);
      eq("delete(file, false)", true, fs.delete(ctx.p(del + "/f"), false));
      eq("exists after delete", false, fs.exists(ctx.p(del + "/f")));
    });
    ck(b, "delete-empty-dir-nonrecursive", () -> {
      fs.mkdirs(ctx.p(del + "/empty-dir"));
      eq("delete(empty dir, false)", true, fs.delete(ctx.p(del + "/empty-dir"), false));
      eq("exists after delete", false, fs.exists(ctx.p(del + "/empty-dir")));
    });
    ck(b, "delete-nonempty-dir-nonrecursive", () -> {
      Ctx.write(fs, ctx.p(del + "/full/f"), SMALL);
      Check.throwsExactly("delete(non-empty dir, false)", PathIsNotEmptyDirectoryException.class, () -> fs.delete(ctx.p(del + "/full"), false));
      Check.bytesEq("file after a refused delete", SMALL, Ctx.read(fs, ctx.p(del + "/full/f")));
    });
    ck(b, "delete-dir-recursive", () -> {
      Ctx.write(fs, ctx.p(del + "/tree/a/b/f"), SMALL);
      Ctx.write(fs, ctx.p(del + "/tree/g"), SMALL);
      eq("delete(dir, true)", true, fs.delete(ctx.p(del + "/tree"), true));
      eq("exists after a recursive delete", false, fs.exists(ctx.p(del + "/tree")));
      eq("child exists after a recursive delete", false, fs.exists(ctx.p(del + "/tree/a/b/f")));
    });

    // checksums
    ck(b, "checksum-md5-small", () -> checksum(fs, small, SMALL, DEFAULT_BLOCK));
    ck(b, "checksum-md5-empty", () -> checksum(fs, empty, new byte[0], DEFAULT_BLOCK));
    ck(b, "checksum-md5-multiblock", () -> checksum(fs, big, bigData, MiB));
    ck(b, "checksum-composite-small", () -> composite(small, SMALL));
    ck(b, "checksum-composite-multiblock", () -> composite(big, bigData));

    ck(b, "content-summary", () -> {
      String cs = base + "/summary";
      Ctx.write(fs, ctx.p(cs + "/f1"), Ctx.data(100, 1));
      Ctx.write(fs, ctx.p(cs + "/d/f2"), Ctx.data(2000, 2));
      fs.mkdirs(ctx.p(cs + "/d/e"));
      ContentSummary s = fs.getContentSummary(ctx.p(cs));
      eq("length", 2100L, s.getLength());
      eq("fileCount", 2L, s.getFileCount());
      eq("directoryCount (including itself)", 3L, s.getDirectoryCount());
      eq("spaceConsumed (replication 1)", 2100L, s.getSpaceConsumed());
      eq("quota", -1L, s.getQuota());
      ContentSummary f = fs.getContentSummary(ctx.p(cs + "/f1"));
      eq("file summary length/files/dirs", "100/1/0", f.getLength() + "/" + f.getFileCount() + "/" + f.getDirectoryCount());
    });

    // append, truncate, concat: HDFS does them; a refusal must be clean.
    ck(b, "append", () -> {
      Path p = ctx.p(base + "/append.txt");
      Ctx.write(fs, p, SMALL);
      byte[] more = Ctx.data(777, 10);
      try {
        try (FSDataOutputStream o = fs.append(p)) {
          o.write(more);
        }
      } catch (IOException | UnsupportedOperationException e) {
        Check.bytesEq("file after a refused append", SMALL, Ctx.read(fs, p));
        throw new Runner.PassWithNote("refused: " + Check.describe(e));
      }
      Check.bytesEq("file after append", concat(SMALL, more), Ctx.read(fs, p));
    });
    ck(b, "truncate-to-zero", () -> {
      Path p = ctx.p(base + "/trunc0.txt");
      Ctx.write(fs, p, SMALL);
      eq("truncate(file, 0)", true, fs.truncate(p, 0));
      eq("length after truncate to 0", 0L, fs.getFileStatus(p).getLen());
    });
    ck(b, "truncate-shorter", () -> {
      Path p = ctx.p(base + "/trunc.txt");
      Ctx.write(fs, p, SMALL);
      boolean done;
      try {
        done = fs.truncate(p, 10);
      } catch (IOException | UnsupportedOperationException e) {
        Check.bytesEq("file after a refused truncate", SMALL, Ctx.read(fs, p));
        throw new Runner.PassWithNote("refused: " + Check.describe(e));
      }
      if (!done) { // HDFS: the last block is being recovered; wait for it
        long until = System.currentTimeMillis() + 60_000;
        while (!dfs.isFileClosed(p)) {
          if (System.currentTimeMillis() > until) {
            throw fail("file not closed 60 s after truncate returned false");
          }
          Thread.sleep(200);
        }
      }
      Check.bytesEq("file after truncate to 10", Check.slice(SMALL, 0, 10), Ctx.read(fs, p));
    });
    ck(b, "concat", () -> {
      Path t = ctx.p(base + "/cc/target"), s1 = ctx.p(base + "/cc/s1"), s2 = ctx.p(base + "/cc/s2");
      byte[] a = Ctx.data(1000, 11), c = Ctx.data(2000, 12), d = Ctx.data(3000, 13);
      Ctx.write(fs, t, a);
      Ctx.write(fs, s1, c);
      Ctx.write(fs, s2, d);
      try {
        fs.concat(t, new Path[] {s1, s2});
      } catch (IOException | UnsupportedOperationException e) {
        Check.bytesEq("target after a refused concat", a, Ctx.read(fs, t));
        Check.bytesEq("first source after a refused concat", c, Ctx.read(fs, s1));
        Check.bytesEq("second source after a refused concat", d, Ctx.read(fs, s2));
        throw new Runner.PassWithNote("refused: " + Check.describe(e));
      }
      Check.bytesEq("target after concat", concat(a, c, d), Ctx.read(fs, t));
      eq("sources exist after concat", false, fs.exists(s1) || fs.exists(s2));
    });

    ck(b, "bucket-root-status", () -> {
      FileStatus st = fs.getFileStatus(ctx.p("/" + b));
      isTrue("/" + b + " is not a directory", st.isDirectory());
      isTrue("/" + b + " has no owner", st.getOwner() != null && !st.getOwner().isEmpty());
      isTrue("/" + b + " has no group", st.getGroup() != null && !st.getGroup().isEmpty());
      isTrue("/" + b + " has no permission", st.getPermission() != null);
      Check.sameStatus("listStatus(/) entry of /" + b, st, byName(fs.listStatus(ctx.p("/"))).get(b));
    });
  }

  private void xattrs(FileSystem fs, Path p) throws Exception {
    byte[] v1 = {0, 1, 2, (byte) 0xff, 'x'};
    byte[] v2 = "second value".getBytes(StandardCharsets.UTF_8);
    fs.setXAttr(p, "user.emrfsd.k1", v1);
    fs.setXAttr(p, "user.k2", v2);
    Check.bytesEq("getXAttr(k1)", v1, fs.getXAttr(p, "user.emrfsd.k1"));
    Map<String, byte[]> all = fs.getXAttrs(p);
    isTrue("getXAttrs has " + all.keySet(), all.containsKey("user.emrfsd.k1") && all.containsKey("user.k2"));
    Check.bytesEq("getXAttrs()[k2]", v2, all.get("user.k2"));
    List<String> names = new ArrayList<>(fs.listXAttrs(p));
    names.sort(null);
    eq("listXAttrs", List.of("user.emrfsd.k1", "user.k2"), names);
    fs.setXAttr(p, "user.k2", v1); // replace
    Check.bytesEq("getXAttr(k2) after replace", v1, fs.getXAttr(p, "user.k2"));
    fs.removeXAttr(p, "user.emrfsd.k1");
    eq("listXAttrs after remove", List.of("user.k2"), fs.listXAttrs(p));
    if (!throwsIo(() -> fs.getXAttr(p, "user.emrfsd.k1"))) {
      throw fail("getXAttr of a removed attribute did not throw");
    }
    fs.removeXAttr(p, "user.k2");
    eq("listXAttrs after removing all", List.of(), fs.listXAttrs(p));
  }

  private static boolean throwsIo(Runner.Body body) throws Exception {
    try {
      body.run();
      return false;
    } catch (IOException e) {
      return true;
    }
  }

  private void checksum(FileSystem fs, Path p, byte[] data, long blockSize) throws Exception {
    FileChecksum c = fs.getFileChecksum(p);
    isTrue("getFileChecksum returned null", c != null);
    eq("algorithm", Check.expectedMd5md5crcName(data, blockSize), c.getAlgorithmName());
    // getBytes() returns the serialising buffer's whole backing array; the
    // checksum is its first getLength() bytes (FsShell -checksum prints those).
    eq("checksum bytes", Check.hex(Check.expectedMd5md5crcBytes(data, blockSize)), Check.hex(Arrays.copyOf(c.getBytes(), c.getLength())));
  }

  private void composite(Path p, byte[] data) throws Exception {
    FileSystem cfs = ctx.newFs(ctx.superuser, "dfs.checksum.combine.mode", "COMPOSITE_CRC");
    try {
      FileChecksum c = cfs.getFileChecksum(p);
      isTrue("getFileChecksum returned null", c != null);
      eq("algorithm", "COMPOSITE-CRC32C", c.getAlgorithmName());
      eq("checksum (CRC32C of the whole file)", Check.hex(Check.compositeCrc(data)), Check.hex(Arrays.copyOf(c.getBytes(), c.getLength())));
    } finally {
      cfs.close();
    }
  }

  static Map<String, FileStatus> byName(FileStatus[] l) {
    Map<String, FileStatus> m = new HashMap<>();
    for (FileStatus s : l) {
      m.put(s.getPath().getName(), s);
    }
    return m;
  }

  private static List<String> sortedNames(FileStatus[] l) {
    List<String> n = new ArrayList<>();
    for (FileStatus s : l) {
      n.add(s.getPath().getName());
    }
    n.sort(null);
    return n;
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int off = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, off, p.length);
      off += p.length;
    }
    return out;
  }
}
