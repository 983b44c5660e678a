package emrfsd.jvmtest;

import static emrfsd.jvmtest.Check.eq;
import static emrfsd.jvmtest.Check.isTrue;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.security.AccessControlException;

/**
 * Permissions between the superuser and two ordinary users (simple auth),
 * bucket roots, /user and /tmp in the default bucket, and trash.
 */
final class UserScenarios {
  private final Ctx ctx;
  private final Runner r;
  private final Shell sh;

  UserScenarios(Ctx ctx, Runner r) {
    this.ctx = ctx;
    this.r = r;
    this.sh = new Shell(ctx);
  }

  private static final byte[] DATA = "emrfsd: permission test data\n".getBytes(StandardCharsets.UTF_8);

  void run() throws Exception {
    topLevel();
    for (String b : ctx.buckets) {
      bucket(b);
    }
    for (String b : ctx.buckets) {
      bucketRoot(b);
    }
  }

  private static FsPermission perm(int mode) {
    return new FsPermission((short) mode);
  }

  private void denied(String what, Runner.Body body) {
    AccessControlException e = Check.throwsExactly(what, AccessControlException.class, body);
    isTrue(what + ": AccessControlException without a message", e.getMessage() != null && !e.getMessage().isEmpty());
  }

  /** /tmp, /user, home directories: top-level paths that are not buckets. */
  private void topLevel() throws Exception {
    FileSystem root = ctx.fs();
    FileSystem alice = ctx.fs(ctx.user);
    FileSystem bob = ctx.fs(ctx.user2);
    String u = ctx.user;
    Path home = ctx.p("/user/" + u);
    r.check("tmp-1777", () -> {
      isTrue("mkdirs(/tmp) returned false", root.mkdirs(ctx.p("/tmp")));
      root.setPermission(ctx.p("/tmp"), perm(01777));
      FileStatus st = root.getFileStatus(ctx.p("/tmp"));
      eq("/tmp permission", "1777", Check.octal(st));
      eq("/tmp sticky bit", true, st.getPermission().getStickyBit());
      eq("/tmp permission as " + u + " sees it", "1777", Check.octal(alice.getFileStatus(ctx.p("/tmp"))));
    });
    r.check("tmp-sticky-bit-enforced", () -> {
      Path f = ctx.p("/tmp/" + u + "-" + ctx.run);
      Ctx.write(alice, f, DATA);
      eq("owner of " + u + "'s file in /tmp", u, root.getFileStatus(f).getOwner());
      denied(ctx.user2 + " deletes " + u + "'s file in sticky /tmp", () -> bob.delete(f, false));
      denied(ctx.user2 + " renames " + u + "'s file in sticky /tmp", () -> bob.rename(f, ctx.p("/tmp/stolen-" + ctx.run)));
      eq(u + " deletes own file in /tmp", true, alice.delete(f, false));
    });
    r.check("user-home-created-by-superuser", () -> {
      isTrue("mkdirs(/user/" + u + ") returned false", root.mkdirs(home));
      root.setOwner(home, u, u);
      FileStatus st = root.getFileStatus(home);
      eq("owner:group of /user/" + u, u + ":" + u, st.getOwner() + ":" + st.getGroup());
      FileStatus listed = ApiScenarios.byName(root.listStatus(ctx.p("/user"))).get(u);
      isTrue("listStatus(/user) has no " + u, listed != null);
      eq("owner:group of /user/" + u + " in the listing of /user", u + ":" + u, listed.getOwner() + ":" + listed.getGroup());
    });
    r.check("root-listing-has-user-tmp", () -> {
      Map<String, FileStatus> m = ApiScenarios.byName(root.listStatus(ctx.p("/")));
      for (String n : new String[] {"user", "tmp"}) {
        isTrue("listStatus(/) has no directory " + n + " (has " + m.keySet() + ")", m.containsKey(n) && m.get(n).isDirectory());
      }
      for (String b : ctx.buckets) {
        isTrue("listStatus(/) lost bucket " + b, m.containsKey(b));
      }
    });
    r.check("user-home-of-second-user", () -> {
      eq("getHomeDirectory of " + u, ctx.q("/user/" + u), alice.getHomeDirectory().toString());
      Path f = new Path(alice.getHomeDirectory(), "hello.txt");
      Ctx.write(alice, f, DATA);
      Check.bytesEq("file in " + u + "'s home", DATA, Ctx.read(alice, f));
      FileStatus st = alice.getFileStatus(f);
      eq("owner of a file in " + u + "'s home", u, st.getOwner());
      eq("group of a file in " + u + "'s home (the directory's)", u, st.getGroup());
      Check.bytesEq("relative path as " + u, DATA, Ctx.read(alice, new Path("hello.txt")));
    });
    r.check("user-home-private", () -> {
      alice.setPermission(home, perm(0700));
      eq("/user/" + u + " permission after the owner's chmod", "700", Check.octal(root.getFileStatus(home)));
      denied(ctx.user2 + " lists " + u + "'s 700 home", () -> bob.listStatus(home));
      denied(ctx.user2 + " creates in " + u + "'s 700 home", () -> Ctx.write(bob, new Path(home, "bob.txt"), DATA));
      Ctx.write(root, new Path(home, "from-root.txt"), DATA); // the superuser is not checked
      Check.bytesEq("superuser's file in a 700 home", DATA, Ctx.read(alice, new Path(home, "from-root.txt")));
    });
    r.check("second-user-cannot-create-top-level", () ->
        denied(u + " mkdirs /" + u + "-top", () -> alice.mkdirs(ctx.p("/" + u + "-top-" + ctx.run))));
    r.check("trash-of-second-user", () -> {
      Path f = new Path(home, "trash-me.txt");
      Ctx.write(alice, f, DATA);
      Path trashRoot = alice.getTrashRoot(f);
      eq("trash root of " + u, ctx.q("/user/" + u + "/.Trash"), trashRoot.toString());
      sh.runAs(u, "-rm", f.toString()).ok();
      Path in = new Path(new Path(trashRoot, "Current"), f.toUri().getPath().substring(1));
      isTrue(f + " still exists after -rm", !alice.exists(f));
      isTrue("not in the trash at " + in + ShellScenarios.trashHint(alice), alice.exists(in));
      Check.bytesEq("file in " + u + "'s trash", DATA, Ctx.read(alice, in));
      eq("owner of the file in the trash", u, alice.getFileStatus(in).getOwner());
    });
  }

  private void ck(String b, String name, Runner.Body body) {
    r.check(b + "/" + name, body);
  }

  private void bucket(String b) throws Exception {
    FileSystem root = ctx.fs();
    FileSystem alice = ctx.fs(ctx.user);
    FileSystem bob = ctx.fs(ctx.user2);
    String u = ctx.user;
    String base = "/" + b + "/jvm-users-" + ctx.run;
    Path pub = ctx.p(base + "/public.txt"), secret = ctx.p(base + "/secret.txt");
    Path priv = ctx.p(base + "/private"), shared = ctx.p(base + "/shared"), sticky = ctx.p(base + "/sticky");

    boolean ready = r.check(b + "/setup-as-superuser", () -> {
      isTrue("mkdirs returned false", root.mkdirs(ctx.p(base)));
      root.setPermission(ctx.p(base), perm(0755));
      Ctx.write(root, pub, DATA);
      root.setPermission(pub, perm(0644));
      Ctx.write(root, secret, DATA);
      root.setPermission(secret, perm(0600));
      Ctx.write(root, new Path(priv, "f.txt"), DATA);
      root.setPermission(priv, perm(0700));
      root.mkdirs(shared);
      root.setPermission(shared, perm(0777));
      root.mkdirs(sticky);
      root.setPermission(sticky, perm(01777));
      eq("permission of " + secret, "600", Check.octal(root.getFileStatus(secret)));
      eq("permission of " + sticky, "1777", Check.octal(root.getFileStatus(sticky)));
    });
    if (!ready) {
      return; // the rest would only repeat the setup's failure
    }
    ck(b, "read-public", () -> Check.bytesEq(u + " reads a 644 file", DATA, Ctx.read(alice, pub)));
    ck(b, "read-600-denied", () -> denied(u + " opens root's 600 file", () -> Ctx.read(alice, secret)));
    ck(b, "superuser-reads-any", () -> {
      root.setOwner(secret, ctx.user2, "staff");
      Check.bytesEq("superuser reads another user's 600 file", DATA, Ctx.read(root, secret));
    });
    ck(b, "list-700-denied", () -> denied(u + " lists root's 700 directory", () -> alice.listStatus(priv)));
    ck(b, "traverse-700-denied", () -> denied(u + " stats a file in root's 700 directory", () -> alice.getFileStatus(new Path(priv, "f.txt"))));
    ck(b, "create-in-755-denied", () -> {
      Path p = ctx.p(base + "/by-" + u + ".txt");
      denied(u + " creates in root's 755 directory", () -> Ctx.write(alice, p, DATA));
      eq("file exists after a denied create", false, root.exists(p));
    });
    ck(b, "mkdir-in-755-denied", () -> denied(u + " mkdirs in root's 755 directory", () -> alice.mkdirs(ctx.p(base + "/dir-by-" + u))));
    ck(b, "delete-denied", () -> {
      denied(u + " deletes root's file", () -> alice.delete(pub, false));
      eq("file exists after a denied delete", true, root.exists(pub));
    });
    ck(b, "rename-denied", () -> {
      denied(u + " renames root's file", () -> alice.rename(pub, ctx.p(base + "/renamed.txt")));
      eq("file exists after a denied rename", true, root.exists(pub));
    });
    ck(b, "chmod-denied", () -> {
      denied(u + " chmods root's file", () -> alice.setPermission(pub, perm(0777)));
      eq("permission after a denied chmod", "644", Check.octal(root.getFileStatus(pub)));
    });
    ck(b, "chown-denied", () -> {
      denied(u + " chowns root's file to itself", () -> alice.setOwner(pub, u, null));
      eq("owner after a denied chown", ctx.superuser, root.getFileStatus(pub).getOwner());
    });
    ck(b, "setTimes-denied", () -> denied(u + " sets times on root's 644 file", () -> alice.setTimes(pub, 1_000_000_000_000L, -1)));
    ck(b, "setXAttr-denied", () -> denied(u + " sets an xattr on root's 644 file", () -> alice.setXAttr(pub, "user.x", new byte[] {1})));
    Path mine = new Path(shared, u + ".txt");
    ck(b, "create-in-777", () -> {
      Ctx.write(alice, mine, DATA);
      FileStatus st = root.getFileStatus(mine);
      eq("owner of " + u + "'s file", u, st.getOwner());
      eq("group of " + u + "'s file (the parent directory's, as in HDFS)", root.getFileStatus(shared).getGroup(), st.getGroup());
      eq("permission of " + u + "'s file", "644", Check.octal(st));
    });
    ck(b, "owner-chmod-and-superuser-read", () -> {
      alice.setPermission(mine, perm(0600));
      eq("permission after the owner's chmod", "600", Check.octal(alice.getFileStatus(mine)));
      Check.bytesEq("superuser reads " + u + "'s 600 file", DATA, Ctx.read(root, mine));
      denied(ctx.user2 + " reads " + u + "'s 600 file", () -> Ctx.read(bob, mine));
    });
    ck(b, "sticky-bit-enforced", () -> {
      Path f = new Path(sticky, u + ".txt");
      Ctx.write(alice, f, DATA);
      denied(ctx.user2 + " deletes " + u + "'s file in a sticky directory", () -> bob.delete(f, false));
      eq("file exists after a denied delete", true, root.exists(f));
      Path g = new Path(shared, u + "-nosticky.txt");
      Ctx.write(alice, g, DATA);
      eq(ctx.user2 + " deletes " + u + "'s file in a 777 directory without the sticky bit", true, bob.delete(g, false));
      eq(u + " deletes own file in a sticky directory", true, alice.delete(f, false));
    });
    ck(b, "second-user-rm-to-trash", () -> {
      Path f = new Path(shared, u + "-trash.txt");
      byte[] trashData = ("emrfsd-trash-marker-" + b + "-" + u + "-" + ctx.run + "\n").getBytes(StandardCharsets.UTF_8);
      Ctx.write(alice, f, trashData);
      Path in = new Path(new Path(alice.getTrashRoot(f), "Current"), f.toUri().getPath().substring(1));
      sh.runAs(u, "-rm", f.toString()).ok();
      isTrue(f + " still exists after -rm", !alice.exists(f));
      isTrue("not in " + u + "'s trash at " + in + ShellScenarios.trashHint(alice), alice.exists(in));
      Check.bytesEq("file in " + u + "'s trash", trashData, Ctx.read(alice, in));
    });
    ck(b, "second-user-writes-then-lists", () -> {
      Path d = new Path(shared, u + "-dir");
      isTrue("mkdirs returned false", alice.mkdirs(d));
      try (FSDataOutputStream o = alice.create(new Path(d, "a"), true)) {
        o.write(DATA);
      }
      FileStatus[] l = alice.listStatus(d);
      eq("entries", 1, l.length);
      eq("owner in " + u + "'s listing", u, l[0].getOwner());
      eq("owner of the directory", u, alice.getFileStatus(d).getOwner());
    });
  }

  /** Bucket roots: the superuser's chmod/chown persist and govern other users. */
  private void bucketRoot(String b) throws Exception {
    FileSystem root = ctx.fs();
    FileSystem alice = ctx.fs(ctx.user);
    String u = ctx.user;
    Path top = ctx.p("/" + b);
    Path f = ctx.p("/" + b + "/" + u + "-top-" + ctx.run + ".txt");
    ck(b, "bucket-root-755-denies-create", () -> {
      root.setPermission(top, perm(0755));
      eq("bucket root permission after chmod 755", "755", Check.octal(root.getFileStatus(top)));
      denied(u + " creates at the top of a 755 bucket", () -> Ctx.write(alice, f, DATA));
    });
    ck(b, "bucket-root-chmod-777", () -> {
      root.setPermission(top, perm(0777));
      eq("bucket root permission (superuser's view)", "777", Check.octal(root.getFileStatus(top)));
      eq("bucket root permission (" + u + "'s view)", "777", Check.octal(alice.getFileStatus(top)));
      eq("bucket root permission in listStatus(/)", "777", Check.octal(ApiScenarios.byName(alice.listStatus(ctx.p("/"))).get(b)));
    });
    ck(b, "bucket-root-chown", () -> {
      root.setOwner(top, null, "staff");
      eq("bucket root group (superuser's view)", "staff", root.getFileStatus(top).getGroup());
      eq("bucket root group (" + u + "'s view)", "staff", alice.getFileStatus(top).getGroup());
    });
    ck(b, "create-at-bucket-top-after-777", () -> {
      Ctx.write(alice, f, DATA);
      FileStatus st = root.getFileStatus(f);
      eq("owner", u, st.getOwner());
      eq("group (the bucket root's)", root.getFileStatus(top).getGroup(), st.getGroup());
      Check.bytesEq("content", DATA, Ctx.read(root, f));
    });
    ck(b, "bucket-root-restore-755", () -> {
      root.setPermission(top, perm(0755));
      eq("bucket root permission after chmod 755", "755", Check.octal(alice.getFileStatus(top)));
    });
  }
}
