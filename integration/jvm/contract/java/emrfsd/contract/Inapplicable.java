package emrfsd.contract;

import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

import org.apache.hadoop.conf.Configuration;
import org.junit.AssumptionViolatedException;
import org.junit.rules.TestRule;
import org.junit.runner.Description;
import org.junit.runners.model.Statement;

/**
 * Contract tests that Hadoop's options cannot switch off but that do not
 * apply to emrfsd, declared in contract/emrfsd.xml as
 *
 * <pre>
 *   fs.contract.emrfsd.inapplicable.SUITE.METHOD            the reason
 *   fs.contract.emrfsd.inapplicable.SUITE.METHOD.fails-with a regular expression the failure must match
 * </pre>
 *
 * (SUITE is the simple name of the class in {@link Suites}, METHOD the test
 * method, with its Parameterized suffix for one run, e.g.
 * testIdent[TestContent], or without it for all). A declared test still runs: when it
 * fails as declared it is reported skipped with the reason; when it passes,
 * or fails some other way, it fails, so a stale or wrong declaration cannot
 * hide anything.
 */
public final class Inapplicable implements TestRule {
  private static final Configuration XML = load();
  private static final Set<String> USED = ConcurrentHashMap.newKeySet();

  private static Configuration load() {
    Configuration c = new Configuration(false);
    c.addResource(EmrfsdContract.CONTRACT_XML);
    return c;
  }

  /**
   * The declaration's key: with the full method name first (a Parameterized
   * run, "testIdent[TestContent]"), then without the parameters.
   */
  static String key(Description d) {
    String base = "fs.contract." + EmrfsdContract.INAPPLICABLE + d.getTestClass().getSimpleName() + ".";
    String m = d.getMethodName();
    if (XML.get(base + m) != null) {
      return base + m;
    }
    int i = m.indexOf('[');
    return base + (i >= 0 ? m.substring(0, i) : m);
  }

  /**
   * Declarations in the XML that no test looked up: a misspelt or stale key,
   * which would otherwise declare nothing without anyone noticing.
   */
  static Set<String> unused() {
    Set<String> out = new TreeSet<>();
    String prefix = "fs.contract." + EmrfsdContract.INAPPLICABLE;
    for (String k : XML.getPropsWithPrefix(prefix).keySet()) {
      String key = prefix + k;
      if (!key.endsWith(".fails-with") && !USED.contains(key)) {
        out.add(key);
      }
      if (key.endsWith(".fails-with") && XML.get(key.substring(0, key.length() - ".fails-with".length())) == null) {
        out.add(key);
      }
    }
    return out;
  }

  @Override
  public Statement apply(Statement base, Description d) {
    String key = key(d);
    String reason = XML.getTrimmed(key);
    if (reason == null) {
      return base;
    }
    USED.add(key);
    String failsWith = XML.getTrimmed(key + ".fails-with");
    return new Statement() {
      @Override
      public void evaluate() throws Throwable {
        if (failsWith == null || failsWith.isEmpty()) {
          throw new AssertionError(key + " in " + EmrfsdContract.CONTRACT_XML + " has no .fails-with");
        }
        try {
          base.evaluate();
        } catch (AssumptionViolatedException e) {
          throw e;
        } catch (Throwable t) {
          String got = String.valueOf(t);
          if (!Pattern.compile(failsWith, Pattern.DOTALL).matcher(got).find()) {
            AssertionError e = new AssertionError("declared inapplicable (" + key + ") failing with /"
                + failsWith + "/, but failed otherwise: " + got);
            e.initCause(t);
            throw e;
          }
          throw new AssumptionViolatedException("does not apply to emrfsd (" + EmrfsdContract.CONTRACT_XML
              + "): " + reason + " [failed as declared: " + got + "]");
        }
        throw new AssertionError("declared inapplicable (" + key + ") but passed: remove the declaration");
      }
    };
  }
}
