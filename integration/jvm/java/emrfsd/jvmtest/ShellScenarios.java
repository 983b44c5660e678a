package emrfsd.jvmtest;

import static emrfsd.jvmtest.Check.eq;
import static emrfsd.jvmtest.Check.fail;
import static emrfsd.jvmtest.Check.isTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.SimpleDateFormat;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.hadoop.fs.BlockLocation;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * `hadoop fs` (FsShell, in-process) as the superuser, in every bucket.
 * Expected outputs are Hadoop 3.4.1's FsShell formats.
 */
final class ShellScenarios {
  private final Ctx ctx;
  private final Runner r;
  private final Shell sh;

  ShellScenarios(Ctx ctx, Runner r) {
    this.ctx = ctx;
    this.r = r;
    this.sh = new Shell(ctx);
  }

  void run() throws Exception {
    for (String b : ctx.buckets) {
      bucket(b);
    }
  }

  private void ck(String b, String name, Runner.Body body) {
    r.check(b + "/" + name, body);
  }

  private static final byte[] SMALL = "hello emrfsd from the Hadoop Java client\n".getBytes(StandardCharsets.UTF_8);

  private void bucket(String b) throws Exception {
    FileSystem fs = ctx.fs();
    String base = "/" + b + "/jvm-shell-" + ctx.run;
    File local = new File(ctx.localTmp, "shell-" + b);
    local.mkdirs();
    byte[] big = Ctx.data(3 * Ctx.MiB + 123, 0x5eed + b.hashCode());
    File lsmall = new File(local, "small.txt");
    File lempty = new File(local, "empty");
    File lbig = new File(local, "big.bin");
    Files.write(lsmall.toPath(), SMALL);
    Files.write(lempty.toPath(), new byte[0]);
    Files.write(lbig.toPath(), big);
    String small = base + "/small.txt", empty = base + "/empty", bigf = base + "/big.bin";

    ck(b, "mkdir-p", () -> {
      sh.run("-mkdir", "-p", base + "/a/b/c").ok();
      isTrue(base + "/a/b/c is not a directory after mkdir -p", fs.getFileStatus(ctx.p(base + "/a/b/c")).isDirectory());
      sh.run("-mkdir", "-p", base + "/a/b/c").ok(); // -p on an existing dir succeeds
    });
    ck(b, "mkdir-existing-fails", () -> sh.run("-mkdir", base + "/a").failsWith("File exists"));
    ck(b, "put-get-small", () -> {
      sh.run("-put", lsmall.getPath(), small).ok();
      File got = new File(local, "small.got");
      got.delete();
      sh.run("-get", small, got.getPath()).ok();
      Check.bytesEq("-get of " + small, SMALL, Files.readAllBytes(got.toPath()));
    });
    ck(b, "cat", () -> Check.bytesEq("-cat", SMALL, sh.run("-cat", small).ok().out));
    ck(b, "text", () -> Check.bytesEq("-text", SMALL, sh.run("-text", small).ok().out));
    ck(b, "put-get-empty", () -> {
      sh.run("-put", lempty.getPath(), empty).ok();
      eq("length of " + empty, 0L, fs.getFileStatus(ctx.p(empty)).getLen());
      File got = new File(local, "empty.got");
      got.delete();
      sh.run("-get", empty, got.getPath()).ok();
      eq("-get of an empty file: local length", 0L, got.length());
      Check.bytesEq("-cat of an empty file", new byte[0], sh.run("-cat", empty).ok().out);
    });
    ck(b, "put-get-multiblock", () -> {
      sh.run("-Ddfs.blocksize=1m", "-put", lbig.getPath(), bigf).ok();
      File got = new File(local, "big.got");
      got.delete();
      sh.run("-get", bigf, got.getPath()).ok();
      Check.bytesEq("-get of " + bigf, big, Files.readAllBytes(got.toPath()));
      Check.bytesEq("-cat of " + bigf, big, sh.run("-cat", bigf).ok().out);
    });
    ck(b, "put-blocksize-1m", () -> {
      FileStatus st = fs.getFileStatus(ctx.p(bigf));
      eq("block size of a file put with -Ddfs.blocksize=1m", (long) Ctx.MiB, st.getBlockSize());
      BlockLocation[] bl = fs.getFileBlockLocations(st, 0, st.getLen());
      eq("blocks of a 3 MiB + 123 file with 1 MiB blocks", 4, bl.length);
    });
    ck(b, "put-existing-fails", () -> {
      String ow = base + "/overwrite.txt";
      sh.run("-put", lsmall.getPath(), ow).ok();
      sh.run("-put", lempty.getPath(), ow).failsWith("File exists");
      eq("length after a refused -put", (long) SMALL.length, fs.getFileStatus(ctx.p(ow)).getLen());
      sh.run("-put", "-f", lempty.getPath(), ow).ok();
      eq("length after -put -f of an empty file", 0L, fs.getFileStatus(ctx.p(ow)).getLen());
    });
    ck(b, "ls", () -> {
      Shell.Result res = sh.run("-ls", base).ok();
      List<String> lines = res.lines();
      isTrue("-ls first line is not \"Found N items\": " + lines, !lines.isEmpty() && lines.get(0).matches("Found \\d+ items"));
      Map<String, String[]> rows = lsRows(lines);
      for (String path : new String[] {small, bigf, empty, base + "/a"}) {
        lsAgrees(fs, rows, path);
      }
      eq("-ls item count", lines.get(0), "Found " + rows.size() + " items");
    });
    ck(b, "ls-R", () -> {
      Map<String, String[]> rows = lsRows(sh.run("-ls", "-R", base).ok().lines());
      for (String path : new String[] {base + "/a", base + "/a/b", base + "/a/b/c", small, bigf, empty}) {
        lsAgrees(fs, rows, path);
      }
    });
    // du and count on a tree of known sizes made through the API.
    String usage = base + "/usage";
    ck(b, "du", () -> {
      Ctx.write(fs, ctx.p(usage + "/f1"), Ctx.data(100, 1));
      Ctx.write(fs, ctx.p(usage + "/f2"), Ctx.data(2000, 2));
      Ctx.write(fs, ctx.p(usage + "/sub/f3"), Ctx.data(5000, 3));
      String[] s = tokens(sh.run("-du", "-s", usage).ok().lines(), 0);
      eq("-du -s size", "7100", s[0]);
      eq("-du -s disk space consumed (replication 1)", "7100", s[1]);
      eq("-du -s path", usage, s[2]);
      Map<String, String> per = new HashMap<>();
      for (String l : sh.run("-du", usage).ok().lines()) {
        String[] t = l.trim().split("\\s+");
        per.put(t[t.length - 1], t[0]);
      }
      eq("-du per entry", Map.of(usage + "/f1", "100", usage + "/f2", "2000", usage + "/sub", "5000"), per);
    });
    ck(b, "count", () -> {
      String[] t = tokens(sh.run("-count", usage).ok().lines(), 0);
      eq("-count DIR_COUNT FILE_COUNT CONTENT_SIZE PATHNAME", "2 3 7100 " + usage, String.join(" ", t));
    });
    ck(b, "stat-file", () -> {
      FileStatus st = fs.getFileStatus(ctx.p(small));
      // HDFS: a new file or directory takes its parent's group, so
      // everything made here has the bucket root's group.
      String group = fs.getFileStatus(ctx.p("/" + b)).getGroup();
      String got = sh.run("-stat", "%n|%b|%o|%r|%u|%g|%F|%a|%A|%Y|%y", small).ok().out().trim();
      String want = "small.txt|" + SMALL.length + "|134217728|1|" + ctx.superuser + "|" + group
          + "|regular file|644|rw-r--r--|" + st.getModificationTime() + "|" + Check.utc(st.getModificationTime());
      eq("-stat of a file", want, got);
      Check.recentTime("mtime of " + small, st.getModificationTime(), ctx.startMillis);
    });
    ck(b, "stat-dir", () -> {
      FileStatus st = fs.getFileStatus(ctx.p(base + "/a"));
      String group = fs.getFileStatus(ctx.p("/" + b)).getGroup();
      String got = sh.run("-stat", "%n|%F|%u|%g|%a|%Y", base + "/a").ok().out().trim();
      eq("-stat of a directory", "a|directory|" + ctx.superuser + "|" + group + "|755|" + st.getModificationTime(), got);
      Check.recentTime("mtime of directory " + base + "/a", st.getModificationTime(), ctx.startMillis);
    });
    ck(b, "test", () -> {
      String missing = base + "/missing";
      Object[][] cases = {
        {"-e", small, 0}, {"-e", missing, 1}, {"-d", base + "/a", 0}, {"-d", small, 1},
        {"-f", small, 0}, {"-f", base + "/a", 1}, {"-z", empty, 0}, {"-z", small, 1},
        {"-s", small, 0}, {"-s", empty, 1},
      };
      StringBuilder bad = new StringBuilder();
      for (Object[] c : cases) {
        int rc = sh.run("-test", (String) c[0], (String) c[1]).rc;
        if (rc != (int) c[2]) {
          bad.append(String.format(" -test %s %s: exit %d, want %d;", c[0], c[1], rc, c[2]));
        }
      }
      if (bad.length() > 0) {
        throw fail("%s", bad.toString().trim());
      }
    });
    ck(b, "checksum-md5-small", () -> checksum(small, SMALL, 128L * Ctx.MiB, false));
    ck(b, "checksum-md5-empty", () -> checksum(empty, new byte[0], 128L * Ctx.MiB, false));
    ck(b, "checksum-md5-multiblock", () -> checksum(bigf, big, Ctx.MiB, false));
    ck(b, "checksum-composite-small", () -> checksum(small, SMALL, 128L * Ctx.MiB, true));
    ck(b, "checksum-composite-multiblock", () -> checksum(bigf, big, Ctx.MiB, true));
    ck(b, "tail", () -> Check.bytesEq("-tail (last 1 KiB)", Check.slice(big, big.length - 1024, 1024), sh.run("-tail", bigf).ok().out));
    ck(b, "cp", () -> {
      sh.run("-cp", small, base + "/small-copy.txt").ok();
      Check.bytesEq("copy of " + small, SMALL, Ctx.read(fs, ctx.p(base + "/small-copy.txt")));
      sh.run("-cp", bigf, base + "/big-copy.bin").ok();
      Check.bytesEq("copy of " + bigf, big, Ctx.read(fs, ctx.p(base + "/big-copy.bin")));
    });
    ck(b, "mv-file", () -> {
      Ctx.write(fs, ctx.p(base + "/mv-src.txt"), SMALL);
      sh.run("-mv", base + "/mv-src.txt", base + "/mv-dst.txt").ok();
      isTrue("source still exists after -mv", !fs.exists(ctx.p(base + "/mv-src.txt")));
      Check.bytesEq("moved file", SMALL, Ctx.read(fs, ctx.p(base + "/mv-dst.txt")));
      sh.run("-mv", base + "/mv-dst.txt", base + "/a").ok(); // into an existing directory
      Check.bytesEq("file moved into a directory", SMALL, Ctx.read(fs, ctx.p(base + "/a/mv-dst.txt")));
    });
    ck(b, "mv-dir", () -> {
      Ctx.write(fs, ctx.p(base + "/mvdir/x/f.txt"), SMALL);
      Ctx.write1m(fs, ctx.p(base + "/mvdir/big.bin"), big);
      sh.run("-mv", base + "/mvdir", base + "/mvdir2").ok();
      isTrue("source directory still exists after -mv", !fs.exists(ctx.p(base + "/mvdir")));
      Check.bytesEq("file in a moved directory", SMALL, Ctx.read(fs, ctx.p(base + "/mvdir2/x/f.txt")));
      Check.bytesEq("multi-block file in a moved directory", big, Ctx.read(fs, ctx.p(base + "/mvdir2/big.bin")));
    });
    ck(b, "touchz", () -> {
      sh.run("-touchz", base + "/tz").ok();
      FileStatus st = fs.getFileStatus(ctx.p(base + "/tz"));
      isTrue("-touchz made no zero-length file", st.isFile() && st.getLen() == 0);
      sh.run("-touchz", small).failsWith("Not a zero-length file");
    });
    // FsShell -appendToFile creates a missing file, then appends to it.
    byte[] first = "first\n".getBytes(StandardCharsets.UTF_8), second = "second\n".getBytes(StandardCharsets.UTF_8);
    File lfirst = new File(local, "app1"), lsecond = new File(local, "app2");
    Files.write(lfirst.toPath(), first);
    Files.write(lsecond.toPath(), second);
    ck(b, "appendToFile-new", () -> {
      Path p = ctx.p(base + "/app-new.txt");
      Shell.Result res = sh.run("-appendToFile", lfirst.getPath(), p.toString());
      if (res.rc == 0) {
        Check.bytesEq("-appendToFile to a new file", first, Ctx.read(fs, p));
        return;
      }
      isTrue("refused -appendToFile said nothing", !res.err.isBlank());
      isTrue("a refused -appendToFile left a non-empty file", !fs.exists(p) || fs.getFileStatus(p).getLen() == 0);
      throw new Runner.PassWithNote("refused: " + Shell.Result.firstLine(res.err));
    });
    ck(b, "appendToFile-existing", () -> {
      Path p = ctx.p(base + "/app.txt");
      Ctx.write(fs, p, first);
      Shell.Result res = sh.run("-appendToFile", lsecond.getPath(), p.toString());
      byte[] now = Ctx.read(fs, p);
      if (res.rc == 0) {
        Check.bytesEq("-appendToFile to an existing file", ApiScenarios.concat(first, second), now);
        return;
      }
      Check.bytesEq("file after a refused append", first, now);
      isTrue("refused append said nothing", !res.err.isBlank());
      throw new Runner.PassWithNote("refused: " + Shell.Result.firstLine(res.err));
    });
    ck(b, "chmod", () -> {
      sh.run("-chmod", "600", small).ok();
      eq("-stat %a after -chmod 600", "600", sh.run("-stat", "%a", small).ok().out().trim());
      lsAgrees(fs, lsRows(sh.run("-ls", base).ok().lines()), small);
      eq("-ls permission after -chmod 600", "-rw-------", lsRows(sh.run("-ls", base).ok().lines()).get(small)[0]);
      sh.run("-chmod", "g+w,o-r", bigf).ok();
      eq("-stat %a after -chmod g+w,o-r on 644", "660", sh.run("-stat", "%a", bigf).ok().out().trim());
      sh.run("-chmod", "-R", "700", base + "/a").ok();
      eq("-chmod -R on the top", "700", sh.run("-stat", "%a", base + "/a").ok().out().trim());
      eq("-chmod -R below", "700", sh.run("-stat", "%a", base + "/a/b/c").ok().out().trim());
    });
    ck(b, "chown", () -> {
      sh.run("-chown", ctx.user + ":staff", small).ok();
      eq("-stat %u:%g after -chown", ctx.user + ":staff", sh.run("-stat", "%u:%g", small).ok().out().trim());
      String[] row = lsRows(sh.run("-ls", base).ok().lines()).get(small);
      eq("-ls owner and group after -chown", ctx.user + " staff", row[2] + " " + row[3]);
      sh.run("-chgrp", "staff", bigf).ok();
      eq("-stat %g after -chgrp", "staff", sh.run("-stat", "%g", bigf).ok().out().trim());
      sh.run("-chown", "-R", ctx.user, base + "/a").ok();
      eq("-chown -R below", ctx.user, sh.run("-stat", "%u", base + "/a/b").ok().out().trim());
    });
    ck(b, "setrep", () -> {
      Shell.Result res = sh.run("-setrep", "2", bigf).ok();
      isTrue("-setrep printed \"" + res.out().trim() + "\"", res.out().contains("Replication 2 set: " + bigf));
      eq("-stat %r after -setrep 2", "2", sh.run("-stat", "%r", bigf).ok().out().trim());
    });
    ck(b, "rm-dir-without-r-fails", () -> {
      sh.run("-rm", base + "/a").failsWith("Is a directory");
      isTrue("directory gone after a refused -rm", fs.exists(ctx.p(base + "/a")));
    });
    ck(b, "rm-missing-fails", () -> sh.run("-rm", base + "/no-such-file").failsWith("No such file or directory"));
    // Trashed files carry a marker the Go side looks for at rest: a CSE-KMS
    // file's plaintext must not appear in any bucket after it moved to trash.
    byte[] trashData = ("emrfsd-trash-marker-" + b + "-" + ctx.run + "\n").getBytes(StandardCharsets.UTF_8);
    ck(b, "rm-to-trash", () -> {
      String f = base + "/trash-me.txt";
      Ctx.write(fs, ctx.p(f), trashData);
      Path inTrash = trashPath(fs, f);
      sh.run("-rm", f).ok();
      isTrue(f + " still exists after -rm", !fs.exists(ctx.p(f)));
      isTrue("not in the trash at " + inTrash + trashHint(fs), fs.exists(inTrash));
      Check.bytesEq("file in the trash", trashData, Ctx.read(fs, inTrash));
    });
    ck(b, "rm-r-to-trash", () -> {
      String d = base + "/trash-dir";
      Ctx.write(fs, ctx.p(d + "/f.txt"), trashData);
      Path inTrash = trashPath(fs, d);
      sh.run("-rm", "-r", d).ok();
      isTrue(d + " still exists after -rm -r", !fs.exists(ctx.p(d)));
      isTrue("not in the trash at " + inTrash + trashHint(fs), fs.exists(inTrash));
      Check.bytesEq("file of a directory in the trash", trashData, Ctx.read(fs, new Path(inTrash, "f.txt")));
    });
    ck(b, "rm-skipTrash", () -> {
      String f = base + "/skip-trash.txt";
      Ctx.write(fs, ctx.p(f), SMALL);
      Path inTrash = trashPath(fs, f);
      sh.run("-rm", "-skipTrash", f).ok();
      isTrue(f + " still exists after -rm -skipTrash", !fs.exists(ctx.p(f)));
      isTrue("-rm -skipTrash put it in the trash at " + inTrash, !fs.exists(inTrash));
    });
    ck(b, "rm-r-skipTrash", () -> {
      sh.run("-rm", "-r", "-skipTrash", base + "/a").ok();
      isTrue(base + "/a still exists after -rm -r", !fs.exists(ctx.p(base + "/a")));
      isTrue(base + "/a/b/c still exists after -rm -r", !fs.exists(ctx.p(base + "/a/b/c")));
    });
  }

  /** Why a file may be missing from the trash: the server's trash interval. */
  static String trashHint(FileSystem fs) {
    try {
      long m = fs.getServerDefaults(new Path("/")).getTrashInterval();
      return m == 0 ? " (the server reports trashInterval=0, so -rm deleted it)" : " (server trashInterval=" + m + ")";
    } catch (Exception e) {
      return "";
    }
  }

  /** Where Hadoop's default trash policy puts path: TRASH_ROOT/Current/PATH. */
  private Path trashPath(FileSystem fs, String path) {
    Path root = fs.getTrashRoot(ctx.p(path));
    return new Path(new Path(root, "Current"), path.substring(1));
  }

  private void checksum(String path, byte[] data, long blockSize, boolean composite) throws Exception {
    Shell.Result res = composite
        ? sh.run("-Ddfs.checksum.combine.mode=COMPOSITE_CRC", "-checksum", path).ok()
        : sh.run("-checksum", path).ok();
    String[] t = res.out().trim().split("\t");
    if (t.length != 3) {
      throw fail("-checksum printed \"%s\", want PATH<TAB>ALGORITHM<TAB>HEX", res.out().trim());
    }
    eq("-checksum path", path, t[0]);
    if (composite && data.length > 0) {
      eq("-checksum algorithm", "COMPOSITE-CRC32C", t[1]);
      eq("-checksum value (CRC32C of the file)", Check.hex(Check.compositeCrc(data)), t[2]);
    } else {
      eq("-checksum algorithm", Check.expectedMd5md5crcName(data, blockSize), t[1]);
      eq("-checksum value", Check.hex(Check.expectedMd5md5crcBytes(data, blockSize)), t[2]);
    }
  }

  /** -ls rows by path: perms, replication, owner, group, size, date, time. */
  private static Map<String, String[]> lsRows(List<String> lines) {
    Map<String, String[]> m = new HashMap<>();
    for (String l : lines) {
      if (l.startsWith("Found ")) {
        continue;
      }
      String[] t = l.trim().split("\\s+", 8);
      if (t.length == 8) {
        m.put(t[7], t);
      }
    }
    return m;
  }

  /** The -ls row of path shows what getFileStatus says, in FsShell's format. */
  private static void lsAgrees(FileSystem fs, Map<String, String[]> rows, String path) throws Exception {
    String[] t = rows.get(path);
    if (t == null) {
      throw fail("-ls has no row for %s (rows: %s)", path, rows.keySet());
    }
    FileStatus st = fs.getFileStatus(new Path(path));
    String want = String.join(" ",
        (st.isDirectory() ? "d" : "-") + st.getPermission(),
        st.isDirectory() ? "-" : String.valueOf(st.getReplication()),
        st.getOwner(), st.getGroup(), String.valueOf(st.getLen()),
        new SimpleDateFormat("yyyy-MM-dd HH:mm").format(new Date(st.getModificationTime())));
    String got = String.join(" ", t[0], t[1], t[2], t[3], t[4], t[5] + " " + t[6]);
    eq("-ls row of " + path + " vs getFileStatus", want, got);
  }

  private static String[] tokens(List<String> lines, int i) {
    if (lines.size() <= i) {
      throw fail("want at least %d output lines, got %s", i + 1, lines);
    }
    return lines.get(i).trim().split("\\s+");
  }
}
