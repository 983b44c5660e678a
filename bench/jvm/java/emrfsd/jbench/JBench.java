package emrfsd.jbench;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32C;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The benchmark's JVM client: one process serving every filesystem of a run
 * (emrfsd and MiniDFS through hdfs://, MinIO through s3a://), so each side
 * runs the same code on the same JIT-warmed JVM. It reads one command per
 * line on stdin and answers one line on stdout:
 *
 * <pre>
 *   warm URI                    getFileStatus (initialises the FileSystem)
 *   put URI BYTES SEED          create, write BYTES, close  -> OK nanos crc32c
 *   cat URI                     open, read to EOF, close    -> OK nanos bytes crc32c
 *   small DIR N SIZE SEED       mkdirs DIR, create N files   -> OK nanos
 *   list DIR                    listStatus DIR               -> OK nanos entries
 *   rename SRC DST              rename (a directory)         -> OK nanos
 *   rm URI                      recursive delete (untimed)   -> OK 0
 *   stat URI                    getFileStatus                -> OK 0 length
 * </pre>
 *
 * A failure answers "ERR" and the exception; the process goes on. The Go
 * side (bench/cases) times nothing itself: the figures are these nanos, so
 * JVM-to-Go pipe latency is not part of any measurement.
 */
public final class JBench {
    private static final int BUF = 1 << 20;

    private final Configuration conf;
    private final byte[] buf = new byte[BUF];

    private JBench(Configuration conf) {
        this.conf = conf;
    }

    public static void main(String[] args) throws Exception {
        Configuration conf = new Configuration();
        for (String a : args) {
            conf.addResource(new Path(a));
        }
        JBench b = new JBench(conf);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        out.println("READY");
        String line;
        while ((line = in.readLine()) != null) {
            line = line.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.equals("quit")) {
                break;
            }
            String reply;
            try {
                reply = "OK " + b.run(line.split(" "));
            } catch (Throwable t) {
                t.printStackTrace(System.err);
                reply = "ERR " + (t.getClass().getName() + ": " + t.getMessage()).replace('\n', ' ');
            }
            out.println(reply);
        }
        FileSystem.closeAll();
    }

    private FileSystem fs(Path p) throws Exception {
        return p.getFileSystem(conf);
    }

    private String run(String[] a) throws Exception {
        switch (a[0]) {
            case "warm": {
                Path p = new Path(a[1]);
                fs(p).getFileStatus(p);
                return "0";
            }
            case "stat": {
                Path p = new Path(a[1]);
                return "0 " + fs(p).getFileStatus(p).getLen();
            }
            case "put":
                return put(new Path(a[1]), Long.parseLong(a[2]), Long.parseLong(a[3]));
            case "cat":
                return cat(new Path(a[1]));
            case "small":
                return small(new Path(a[1]), Integer.parseInt(a[2]), Integer.parseInt(a[3]), Long.parseLong(a[4]));
            case "list": {
                Path p = new Path(a[1]);
                FileSystem fs = fs(p);
                long t0 = System.nanoTime();
                FileStatus[] st = fs.listStatus(p);
                return (System.nanoTime() - t0) + " " + st.length;
            }
            case "rename": {
                Path src = new Path(a[1]), dst = new Path(a[2]);
                FileSystem fs = fs(src);
                long t0 = System.nanoTime();
                boolean ok = fs.rename(src, dst);
                long d = System.nanoTime() - t0;
                if (!ok) {
                    throw new IllegalStateException("rename " + src + " " + dst + " returned false");
                }
                return Long.toString(d);
            }
            case "rm": {
                Path p = new Path(a[1]);
                fs(p).delete(p, true);
                return "0";
            }
            default:
                throw new IllegalArgumentException("unknown command " + a[0]);
        }
    }

    /** Fills buf with the seed's bytes; block i of a file is buf with i in its first 8 bytes. */
    private void fill(long seed) {
        new Random(seed).nextBytes(buf);
    }

    private static void stamp(byte[] b, long i) {
        for (int k = 0; k < 8; k++) {
            b[k] = (byte) (i >>> (8 * k));
        }
    }

    private String put(Path p, long size, long seed) throws Exception {
        FileSystem fs = fs(p);
        fill(seed);
        CRC32C crc = new CRC32C();
        long t0 = System.nanoTime();
        try (FSDataOutputStream o = fs.create(p, true)) {
            long left = size;
            for (long i = 0; left > 0; i++) {
                int n = (int) Math.min(BUF, left);
                stamp(buf, i);
                o.write(buf, 0, n);
                crc.update(buf, 0, n);
                left -= n;
            }
        }
        return (System.nanoTime() - t0) + " " + crc.getValue();
    }

    private String cat(Path p) throws Exception {
        FileSystem fs = fs(p);
        CRC32C crc = new CRC32C();
        long total = 0;
        long t0 = System.nanoTime();
        try (FSDataInputStream in = fs.open(p)) {
            int n;
            while ((n = in.read(buf, 0, BUF)) > 0) {
                crc.update(buf, 0, n);
                total += n;
            }
        }
        return (System.nanoTime() - t0) + " " + total + " " + crc.getValue();
    }

    private String small(Path dir, int n, int size, long seed) throws Exception {
        FileSystem fs = fs(dir);
        byte[] body = new byte[size];
        new Random(seed).nextBytes(body);
        long t0 = System.nanoTime();
        if (!fs.mkdirs(dir)) {
            throw new IllegalStateException("mkdirs " + dir + " returned false");
        }
        for (int i = 0; i < n; i++) {
            try (FSDataOutputStream o = fs.create(new Path(dir, String.format("f%05d", i)), true)) {
                o.write(body);
            }
        }
        return Long.toString(System.nanoTime() - t0);
    }
}
