package emrfsd.jvmtest;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Runs one scenario group of the JVM test tier against a running emrfsd and
 * prints one line per check on stdout:
 *
 * <pre>
 *   CHECK group/name PASS [note]
 *   CHECK group/name FAIL one-line reason
 *   DONE group checks=N failed=M
 * </pre>
 *
 * Everything else (Hadoop client logs, stack traces of failed checks, the
 * captured output of FsShell commands) goes to stderr. The Go test
 * (integration/jvm) turns each CHECK line into a subtest; a group without its
 * DONE line failed as a whole.
 *
 * Settings come as system properties (see {@link Ctx}). Usage:
 * {@code java -cp CLASSES:HADOOP_LIB/* emrfsd.jvmtest.Runner GROUP}
 */
public final class Runner {
  /** The real stdout, kept before FsShell runs swap System.out. */
  static final PrintStream OUT = System.out;
  static final PrintStream ERR = System.err;

  interface Body {
    void run() throws Exception;
  }

  /** A check's own verdict that needs no stack trace. */
  static final class CheckFailure extends RuntimeException {
    CheckFailure(String msg) {
      super(msg);
    }
  }

  /** Thrown by a body to pass with a note (e.g. "refused: ..."). */
  static final class PassWithNote extends RuntimeException {
    PassWithNote(String note) {
      super(note);
    }
  }

  private final String group;
  private final long timeoutSec;
  private final Pattern only;
  private ExecutorService exec = newExecutor();
  private int checks, failed;

  Runner(String group, long timeoutSec, String only) {
    this.group = group;
    this.timeoutSec = timeoutSec;
    this.only = only == null || only.isEmpty() ? null : Pattern.compile(only);
  }

  private static ExecutorService newExecutor() {
    return Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "check");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Runs one check with the per-check timeout and prints its line. Returns
   * true when it passed.
   */
  boolean check(String name, Body body) {
    String full = group + "/" + name;
    if (only != null && !only.matcher(full).find()) {
      return false;
    }
    checks++;
    long t0 = System.nanoTime();
    ERR.println("=== CHECK " + full);
    String verdict;
    boolean ok = false;
    Future<?> f = exec.submit(() -> {
      body.run();
      return null;
    });
    try {
      f.get(timeoutSec, TimeUnit.SECONDS);
      verdict = "PASS";
      ok = true;
    } catch (TimeoutException e) {
      f.cancel(true);
      Shell.restoreStdio();
      // The stuck thread may never return: later checks get a fresh one.
      exec.shutdownNow();
      exec = newExecutor();
      verdict = "FAIL timed out after " + timeoutSec + " s";
      dumpThreads();
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof PassWithNote) {
        verdict = "PASS " + oneLine(c.getMessage());
        ok = true;
      } else if (c instanceof CheckFailure) {
        verdict = "FAIL " + oneLine(c.getMessage());
        ERR.println("--- " + full + ": " + c.getMessage());
      } else {
        verdict = "FAIL unexpected " + Check.describe(c);
        ERR.println("--- " + full + " threw:");
        c.printStackTrace(ERR);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      verdict = "FAIL interrupted";
    }
    if (!ok) {
      failed++;
    }
    ERR.printf("=== %s %s (%.1f s)%n", full, ok ? "PASS" : "FAIL", (System.nanoTime() - t0) / 1e9);
    OUT.println("CHECK " + full + " " + verdict);
    OUT.flush();
    return ok;
  }

  private static void dumpThreads() {
    for (var e : Thread.getAllStackTraces().entrySet()) {
      if (e.getKey().getName().equals("check")) {
        ERR.println("stuck check thread:");
        for (StackTraceElement s : e.getValue()) {
          ERR.println("\tat " + s);
        }
      }
    }
  }

  static String oneLine(String s) {
    if (s == null) {
      return "";
    }
    s = s.replace('\r', ' ').replace('\n', ' ').replace('\t', ' ').trim();
    return s.length() > 400 ? s.substring(0, 400) + "..." : s;
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 1) {
      ERR.println("usage: Runner shell|api|users|long");
      System.exit(2);
    }
    String group = args[0];
    Ctx ctx = new Ctx();
    Runner r = new Runner(group, Long.getLong("emrfsd.check.timeout", 120), System.getProperty("emrfsd.only"));
    long t0 = System.nanoTime();
    switch (group) {
      case "shell":
        new ShellScenarios(ctx, r).run();
        break;
      case "api":
        new ApiScenarios(ctx, r).run();
        break;
      case "users":
        new UserScenarios(ctx, r).run();
        break;
      case "long":
        new LongScenarios(ctx, r).run();
        break;
      case "webhdfs":
        new WebHdfsScenarios(ctx, r).run();
        break;
      default:
        ERR.println("unknown group " + group);
        System.exit(2);
    }
    OUT.printf("DONE %s checks=%d failed=%d seconds=%.1f%n", group, r.checks, r.failed, (System.nanoTime() - t0) / 1e9);
    OUT.flush();
    // Hung checks and the Hadoop client's threads must not keep the JVM up.
    System.exit(0);
  }

  static List<String> list(String csv) {
    List<String> out = new ArrayList<>();
    for (String s : csv.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  static String join(String[] args) {
    return String.join(" ", Arrays.asList(args));
  }
}
