package emrfsd.contract;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Options.HandleOpt;
import org.apache.hadoop.fs.contract.*;
import org.junit.Rule;
import org.junit.rules.TestRule;

/**
 * Hadoop's contract suites (hadoop-common 3.4.1's test jar), each bound to
 * {@link EmrfsdContract} exactly as HDFS binds them to HDFSContract, plus the
 * {@link Inapplicable} rule for the declarations in contract/emrfsd.xml.
 * {@link ContractMain#SUITES} lists which of them run.
 */
public final class Suites {
  private Suites() {
  }

  public static class Create extends AbstractContractCreateTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Delete extends AbstractContractDeleteTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Mkdir extends AbstractContractMkdirTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Rename extends AbstractContractRenameTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Open extends AbstractContractOpenTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Seek extends AbstractContractSeekTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class GetFileStatus extends AbstractContractGetFileStatusTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class SetTimes extends AbstractContractSetTimesTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Concat extends AbstractContractConcatTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Append extends AbstractContractAppendTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Unbuffer extends AbstractContractUnbufferTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class ContentSummary extends AbstractContractContentSummaryTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class Etag extends AbstractContractEtagTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class LeaseRecovery extends AbstractContractLeaseRecoveryTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class SafeMode extends AbstractContractSafeModeTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class BulkDelete extends AbstractContractBulkDeleteTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class GetEnclosingRoot extends AbstractContractGetEnclosingRoot {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class CopyFromLocal extends AbstractContractCopyFromLocalTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class StreamIOStatistics extends AbstractContractStreamIOStatisticsTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  /** Skipped whole by fs.contract.test.root-tests-enabled=false. */
  public static class RootDirectory extends AbstractContractRootDirectoryTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class PathHandle extends AbstractContractPathHandleTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    public PathHandle(String testname, HandleOpt[] opts, boolean serialized) {
      super(testname, opts, serialized);
    }

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  public static class VectoredRead extends AbstractContractVectoredReadTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    public VectoredRead(String bufferType) {
      super(bufferType);
    }

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }
  }

  /** As HDFS's binding: no part size limit, and the same two answers. */
  public static class MultipartUploader extends AbstractContractMultipartUploaderTest {
    @Rule
    public final TestRule inapplicable = new Inapplicable();

    @Override
    protected AbstractFSContract createContract(Configuration conf) {
      return new EmrfsdContract(conf);
    }

    @Override
    protected int partSizeInBytes() {
      return 1024;
    }

    @Override
    protected boolean finalizeConsumesUploadIdImmediately() {
      return true;
    }

    @Override
    protected boolean supportsConcurrentUploadsToSamePath() {
      return true;
    }
  }
}
