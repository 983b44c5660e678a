package emrfsd.jvmtest;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.FsShell;
import org.apache.hadoop.security.UserGroupInformation;
import org.apache.hadoop.util.ToolRunner;

/**
 * Runs FsShell in this JVM as `hadoop fs` would run it in its own: a fresh
 * configuration, generic options (-D) parsed by ToolRunner, and a fresh
 * FileSystem for the command (a UGI of its own, closed afterwards), so -D
 * settings such as dfs.blocksize or dfs.checksum.combine.mode take effect
 * as they do in a new process. System.out and System.err are captured for
 * the command.
 */
final class Shell {
  private final Ctx ctx;

  Shell(Ctx ctx) {
    this.ctx = ctx;
  }

  static final class Result {
    final String cmd;
    final int rc;
    final byte[] out;
    final String err;

    Result(String cmd, int rc, byte[] out, String err) {
      this.cmd = cmd;
      this.rc = rc;
      this.out = out;
      this.err = err;
    }

    String out() {
      return new String(out, StandardCharsets.UTF_8);
    }

    List<String> lines() {
      List<String> l = new ArrayList<>();
      for (String s : out().split("\n")) {
        if (!s.isEmpty()) {
          l.add(s);
        }
      }
      return l;
    }

    /** Fails the check unless the command exited 0. */
    Result ok() {
      if (rc != 0) {
        throw Check.fail("`hadoop fs %s` exited %d: %s", cmd, rc, firstLine(err));
      }
      return this;
    }

    /** Fails the check unless the command exited non-zero and said what. */
    Result failsWith(String want) {
      if (rc == 0) {
        throw Check.fail("`hadoop fs %s` exited 0, want a failure saying \"%s\"", cmd, want);
      }
      if (!err.contains(want)) {
        throw Check.fail("`hadoop fs %s` exited %d with \"%s\", want \"%s\"", cmd, rc, firstLine(err), want);
      }
      return this;
    }

    static String firstLine(String s) {
      for (String l : s.split("\n")) {
        // Skip client log lines (WARN/INFO) to the command's own message.
        if (!l.isBlank() && !l.matches("^\\[.*\\] (WARN|INFO|DEBUG) .*")) {
          return l.trim();
        }
      }
      return s.trim();
    }
  }

  /** Printable output (not the bytes of -cat or -tail of binary data). */
  private static boolean isText(byte[] b) {
    for (byte x : b) {
      if (x < 0x20 && x != '\n' && x != '\t' && x != '\r') {
        return false;
      }
    }
    return true;
  }

  private static final Object STDIO = new Object();
  private static volatile boolean swapped;

  static void restoreStdio() {
    synchronized (STDIO) {
      if (swapped) {
        System.setOut(Runner.OUT);
        System.setErr(Runner.ERR);
        swapped = false;
      }
    }
  }

  Result run(String... args) throws Exception {
    return runAs(ctx.superuser, args);
  }

  Result runAs(String user, String... args) throws Exception {
    UserGroupInformation u = UserGroupInformation.createRemoteUser(user);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc;
    String cmd = Runner.join(args);
    Runner.ERR.println("$ hadoop fs " + cmd + "   (as " + user + ")");
    try {
      synchronized (STDIO) {
        System.setOut(new PrintStream(out, true));
        System.setErr(new PrintStream(err, true));
        swapped = true;
      }
      try {
        rc = u.doAs((java.security.PrivilegedExceptionAction<Integer>) () -> {
          FsShell sh = new FsShell(ctx.conf());
          try {
            return ToolRunner.run(sh, args);
          } finally {
            sh.close();
          }
        });
      } finally {
        restoreStdio();
        FileSystem.closeAllForUGI(u);
      }
    } finally {
      restoreStdio();
    }
    String e = err.toString(StandardCharsets.UTF_8);
    if (!e.isEmpty()) {
      Runner.ERR.print(e.endsWith("\n") ? e : e + "\n");
    }
    if (out.size() > 0 && out.size() < 4096 && isText(out.toByteArray())) {
      Runner.ERR.print(out.toString(StandardCharsets.UTF_8));
    }
    Runner.ERR.println("  -> exit " + rc);
    return new Result(cmd, rc, out.toByteArray(), e);
  }
}
