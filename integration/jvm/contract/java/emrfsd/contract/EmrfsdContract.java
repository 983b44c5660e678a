package emrfsd.contract;

import java.io.IOException;
import java.net.URI;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.contract.AbstractFSContract;
import org.apache.hadoop.fs.contract.ContractOptions;
import org.junit.Assert;

/**
 * The FileSystem contract of emrfsd as Hadoop's contract suites see it: the
 * filesystem is Hadoop's own hdfs:// client (DistributedFileSystem) at a
 * running emrfsd, and the test path is a directory inside one bucket, never
 * "/". What emrfsd does differently from HDFS is stated in
 * contract/emrfsd.xml, each difference with its reason.
 *
 * System properties: emrfsd.nn (hdfs://HOST:PORT), emrfsd.run (a token unique
 * to the run). The bucket directory is set by {@link ContractMain} before
 * each bucket's pass ({@link #setDir}).
 */
public class EmrfsdContract extends AbstractFSContract {
  public static final String CONTRACT_XML = "contract/emrfsd.xml";

  /** Prefix of emrfsd's own declarations in the contract XML. */
  public static final String INAPPLICABLE = "emrfsd.inapplicable.";

  private static volatile String dir;

  static void setDir(String d) {
    dir = d;
  }

  public EmrfsdContract(Configuration conf) {
    super(conf);
    addConfResource(CONTRACT_XML);
    // A client of a one-DataNode cluster: replication 1; bounded retries so
    // a broken call fails within the suites' per-test timeout.
    conf.setInt("dfs.replication", 1);
    conf.setInt("ipc.client.connect.max.retries", 3);
    conf.setInt("ipc.client.connect.retry.interval", 200);
    conf.setInt("ipc.client.rpc-timeout.ms", 60000);
    conf.setBoolean("dfs.client.retry.policy.enabled", false);
  }

  @Override
  public void init() throws IOException {
    super.init();
    Assert.assertTrue("contract options not loaded",
        isSupported(ContractOptions.IS_CASE_SENSITIVE, false));
  }

  static URI nameNode() {
    String nn = System.getProperty("emrfsd.nn");
    Assert.assertNotNull("system property emrfsd.nn (hdfs://HOST:PORT) is not set", nn);
    return URI.create(nn);
  }

  @Override
  public FileSystem getTestFileSystem() throws IOException {
    return FileSystem.get(nameNode(), getConf());
  }

  @Override
  public String getScheme() {
    return "hdfs";
  }

  /** /BUCKET/contract-RUN: inside a bucket, never the root. */
  @Override
  public Path getTestPath() {
    Assert.assertNotNull("no bucket directory set", dir);
    return new Path("/" + dir + "/contract-" + System.getProperty("emrfsd.run", "run"));
  }
}
