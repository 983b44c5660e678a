package emrfsd.contract;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.junit.runner.Description;
import org.junit.runner.JUnitCore;
import org.junit.runner.Request;
import org.junit.runner.manipulation.Filter;
import org.junit.runner.notification.Failure;
import org.junit.runner.notification.RunListener;

/**
 * Runs Hadoop's contract suites against a running emrfsd, in one JVM, once per
 * bucket directory, and prints one line per JUnit test on stdout:
 *
 * <pre>
 *   CHECK contract/DIR/SUITE/METHOD PASS
 *   CHECK contract/DIR/SUITE/METHOD FAIL one-line failure
 *   CHECK contract/DIR/SUITE/METHOD SKIP the assumption's message
 *   DONE contract checks=N failed=M skipped=S seconds=T
 * </pre>
 *
 * Stack traces and client logs go to stderr, each test's part starting with
 * "=== CHECK". The Go test integration/jvm TestHadoopContract turns each
 * CHECK line into a subtest.
 *
 * System properties: emrfsd.nn, emrfsd.run (see {@link EmrfsdContract}),
 * emrfsd.contract.dirs (comma-separated bucket directories), emrfsd.only (a
 * regular expression on "contract/DIR/SUITE/METHOD", for debugging).
 */
public final class ContractMain {
  static final PrintStream OUT = System.out;
  static final PrintStream ERR = System.err;

  /** The suites run, in this order, in every bucket directory. */
  static final Class<?>[] SUITES = {
      Suites.Create.class,
      Suites.Delete.class,
      Suites.Mkdir.class,
      Suites.Rename.class,
      Suites.Open.class,
      Suites.Seek.class,
      Suites.GetFileStatus.class,
      Suites.SetTimes.class,
      Suites.ContentSummary.class,
      Suites.Concat.class,
      Suites.Append.class,
      Suites.Unbuffer.class,
      Suites.VectoredRead.class,
      Suites.PathHandle.class,
      Suites.Etag.class,
      Suites.LeaseRecovery.class,
      Suites.SafeMode.class,
      Suites.BulkDelete.class,
      Suites.GetEnclosingRoot.class,
      Suites.CopyFromLocal.class,
      Suites.StreamIOStatistics.class,
      Suites.MultipartUploader.class,
      Suites.RootDirectory.class,
  };

  private int checks, failed, skipped;

  /**
   * Prints the verdict of each test of one suite run in one directory. JUnit
   * runs a suite's tests one after the other, so the listener follows the
   * current test (Parameterized suites may describe two runs alike: PathHandle
   * names its serialized and unserialized handles the same, so Descriptions
   * cannot be keys).
   */
  private final class Listener extends RunListener {
    private final String prefix;
    private final Map<String, Integer> seen = new HashMap<>();
    private String current;
    private String verdict;
    private long start;

    Listener(String prefix) {
      this.prefix = prefix;
    }

    /** A new check name; a repeated one is suffixed "(2)", and so on. */
    private String newName(Description d) {
      String m = d.getMethodName();
      String n = prefix + "/" + (m == null ? "(class)" : m.replace(' ', '_'));
      int k = seen.merge(n, 1, Integer::sum);
      return k == 1 ? n : n + "(" + k + ")";
    }

    @Override
    public void testStarted(Description d) {
      current = newName(d);
      verdict = null;
      start = System.nanoTime();
      ERR.println("=== CHECK " + current);
    }

    @Override
    public void testFailure(Failure f) {
      Description d = f.getDescription();
      String v = "FAIL " + oneLine(String.valueOf(f.getException()));
      if (d.getMethodName() == null || current == null) {
        // @BeforeClass/@AfterClass or the runner itself: no test around it.
        String n = newName(d);
        ERR.println("--- " + n + " failed:");
        f.getException().printStackTrace(ERR);
        emit(n, v, 0);
        return;
      }
      ERR.println("--- " + current + " failed:");
      f.getException().printStackTrace(ERR);
      verdict = v;
    }

    @Override
    public void testAssumptionFailure(Failure f) {
      Description d = f.getDescription();
      String v = "SKIP " + oneLine(f.getMessage());
      if (d.getMethodName() == null || current == null) {
        emit(newName(d), v, 0);
        return;
      }
      if (verdict == null) {
        verdict = v;
      }
    }

    @Override
    public void testIgnored(Description d) {
      emit(newName(d), "SKIP @Ignore in Hadoop's suite", 0);
    }

    @Override
    public void testFinished(Description d) {
      emit(current, verdict == null ? "PASS" : verdict, System.nanoTime() - start);
      current = null;
    }

    private void emit(String name, String v, long nanos) {
      checks++;
      if (v.startsWith("FAIL")) {
        failed++;
      } else if (v.startsWith("SKIP")) {
        skipped++;
      }
      ERR.printf("=== %s %s (%.1f s)%n", name, v.substring(0, 4), nanos / 1e9);
      OUT.println("CHECK " + name + " " + v);
      OUT.flush();
    }
  }

  static String oneLine(String s) {
    if (s == null || s.isBlank()) {
      return "(no message)";
    }
    s = s.replace('\r', ' ').replace('\n', ' ').replace('\t', ' ').trim();
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }

  private static boolean matches(Description d, String prefix, Pattern only) {
    if (d.getMethodName() != null) {
      return only.matcher(prefix + "/" + d.getMethodName().replace(' ', '_')).find();
    }
    return d.getChildren().stream().anyMatch(c -> matches(c, prefix, only));
  }

  private void run(String dir, Class<?> suite, Pattern only) {
    String prefix = "contract/" + dir + "/" + suite.getSimpleName();
    Request req = Request.aClass(suite);
    if (only != null) {
      if (!matches(req.getRunner().getDescription(), prefix, only)) {
        return;
      }
      req = req.filterWith(new Filter() {
        @Override
        public boolean shouldRun(Description d) {
          return matches(d, prefix, only);
        }

        @Override
        public String describe() {
          return "emrfsd.only " + only;
        }
      });
    }
    JUnitCore core = new JUnitCore();
    core.addListener(new Listener(prefix));
    long t0 = System.nanoTime();
    core.run(req);
    ERR.printf("=== suite %s: %.1f s%n", prefix, (System.nanoTime() - t0) / 1e9);
  }

  public static void main(String[] args) {
    List<String> dirs = new ArrayList<>();
    for (String s : System.getProperty("emrfsd.contract.dirs", "").split(",")) {
      if (!s.isBlank()) {
        dirs.add(s.trim());
      }
    }
    if (dirs.isEmpty()) {
      ERR.println("system property emrfsd.contract.dirs (bucket directories) is not set");
      System.exit(2);
    }
    EmrfsdContract.nameNode();
    String o = System.getProperty("emrfsd.only", "");
    Pattern only = o.isEmpty() ? null : Pattern.compile(o);
    ContractMain m = new ContractMain();
    long t0 = System.nanoTime();
    for (String dir : dirs) {
      EmrfsdContract.setDir(dir);
      for (Class<?> suite : SUITES) {
        m.run(dir, suite, only);
      }
    }
    if (only == null) {
      // Every declaration must have been looked up by some test.
      Set<String> unused = Inapplicable.unused();
      m.checks++;
      if (unused.isEmpty()) {
        OUT.println("CHECK contract/declarations PASS every emrfsd.inapplicable declaration names a test that ran");
      } else {
        m.failed++;
        OUT.println("CHECK contract/declarations FAIL declarations in " + EmrfsdContract.CONTRACT_XML
            + " that name no test run: " + unused);
      }
    }
    OUT.printf("DONE contract checks=%d failed=%d skipped=%d seconds=%.1f%n", m.checks, m.failed, m.skipped,
        (System.nanoTime() - t0) / 1e9);
    OUT.flush();
    // The Hadoop client's threads must not keep the JVM up.
    System.exit(0);
  }
}
