package emrfsd.jbench;

import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * HDFS itself for the benchmark: a MiniDFSCluster (one NameNode, one
 * DataNode, storage on local disk under args[0]) in its own JVM. Prints
 * "NAMENODE hdfs://127.0.0.1:PORT" once the cluster is active and shuts it
 * down when stdin reaches EOF (the Go side closes it, or exits).
 */
public final class MiniDFS {
    public static void main(String[] args) throws Exception {
        Configuration conf = new Configuration();
        conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(args[0]).getAbsolutePath());
        conf.setInt("dfs.replication", 1);
        MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
        cluster.waitActive();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        out.println("NAMENODE hdfs://127.0.0.1:" + cluster.getNameNodePort());
        while (System.in.read() >= 0) {
            // wait for EOF
        }
        cluster.shutdown(true);
    }
}
