package emrfsd.jvmtest;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.text.SimpleDateFormat;
import java.util.Arrays;
import java.util.Date;
import java.util.Objects;
import java.util.zip.CRC32C;

import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.ipc.RemoteException;

/** Assertions and expected values computed from first principles. */
final class Check {
  private Check() {}

  static Runner.CheckFailure fail(String fmt, Object... args) {
    return new Runner.CheckFailure(String.format(fmt, args));
  }

  static void eq(String what, Object want, Object got) {
    if (!Objects.equals(want, got)) {
      throw fail("%s: want %s, got %s", what, show(want), show(got));
    }
  }

  static void isTrue(String what, boolean cond) {
    if (!cond) {
      throw fail("%s", what);
    }
  }

  private static String show(Object o) {
    if (o instanceof String) {
      String s = (String) o;
      return "\"" + (s.length() > 200 ? s.substring(0, 200) + "..." : s) + "\"";
    }
    return String.valueOf(o);
  }

  static void bytesEq(String what, byte[] want, byte[] got) {
    if (Arrays.equals(want, got)) {
      return;
    }
    int i = 0;
    while (i < want.length && i < got.length && want[i] == got[i]) {
      i++;
    }
    throw fail("%s: want %d bytes, got %d bytes, first difference at offset %d", what, want.length, got.length, i);
  }

  /** A one-line description of an exception, naming the server's class for RemoteException. */
  static String describe(Throwable t) {
    if (t == null) {
      return "null";
    }
    String name = t instanceof RemoteException
        ? "RemoteException(" + ((RemoteException) t).getClassName() + ")"
        : t.getClass().getName();
    String msg = t.getMessage();
    if (msg != null) {
      int nl = msg.indexOf('\n');
      if (nl >= 0) {
        msg = msg.substring(0, nl);
      }
    }
    String s = name + ": " + msg;
    Throwable c = t.getCause();
    if (c != null && c != t && (msg == null || !msg.contains(String.valueOf(c.getMessage())))) {
      s += " (cause " + describe(c) + ")";
    }
    return Runner.oneLine(s);
  }

  /** Runs body and returns what it threw; fails unless it threw exactly cls (or a subclass). */
  static <E extends Throwable> E throwsExactly(String what, Class<E> cls, Runner.Body body) {
    try {
      body.run();
    } catch (Throwable t) {
      if (cls.isInstance(t)) {
        return cls.cast(t);
      }
      if (t instanceof Runner.CheckFailure) {
        throw (Runner.CheckFailure) t;
      }
      throw fail("%s: want %s, got %s", what, cls.getSimpleName(), describe(t));
    }
    throw fail("%s: want %s, got no exception", what, cls.getSimpleName());
  }

  static String octal(FileStatus st) {
    return String.valueOf(st.getPermission().toOctal());
  }

  /** Compares the fields an HDFS listing carries for one entry with getFileStatus. */
  static void sameStatus(String what, FileStatus want, FileStatus got) {
    if (got == null) {
      throw fail("%s: entry %s missing", what, want.getPath());
    }
    StringBuilder diff = new StringBuilder();
    cmp(diff, "path", want.getPath(), got.getPath());
    cmp(diff, "isDirectory", want.isDirectory(), got.isDirectory());
    cmp(diff, "owner", want.getOwner(), got.getOwner());
    cmp(diff, "group", want.getGroup(), got.getGroup());
    cmp(diff, "permission", octal(want), octal(got));
    cmp(diff, "length", want.getLen(), got.getLen());
    cmp(diff, "blockSize", want.getBlockSize(), got.getBlockSize());
    cmp(diff, "replication", want.getReplication(), got.getReplication());
    cmp(diff, "modificationTime", want.getModificationTime(), got.getModificationTime());
    cmp(diff, "accessTime", want.getAccessTime(), got.getAccessTime());
    if (diff.length() > 0) {
      throw fail("%s differs from getFileStatus:%s", what, diff);
    }
  }

  private static void cmp(StringBuilder diff, String field, Object want, Object got) {
    if (!Objects.equals(want, got)) {
      diff.append(' ').append(field).append(" (status ").append(want).append(", listing ").append(got).append(')');
    }
  }

  /** A modification time set by this run: not 0, not before the run started, not in the future. */
  static void recentTime(String what, long t, long runStart) {
    long now = System.currentTimeMillis();
    if (t < runStart - 120_000 || t > now + 120_000) {
      throw fail("%s: %d (%s) is not between the run's start %s and now %s", what, t, utc(t), utc(runStart), utc(now));
    }
  }

  static String utc(long ms) {
    SimpleDateFormat f = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss");
    f.setTimeZone(java.util.TimeZone.getTimeZone("UTC"));
    return f.format(new Date(ms));
  }

  // ---- checksums as HDFS computes them ----

  /**
   * The MD5 of an MD5MD5CRC32C file checksum: CRC32C per 512-byte chunk,
   * MD5 over each block's chunk CRCs (big-endian), then MD5 over the block
   * MD5s as the client's DataOutputBuffer holds them: its backing array,
   * 32 bytes doubled as needed, zero-padded past the data.
   */
  static byte[] md5md5crc(byte[] data, long blockSize) throws Exception {
    ByteArrayOutputStream blockMd5s = new ByteArrayOutputStream();
    for (long off = 0; off < data.length; off += blockSize) {
      int end = (int) Math.min(data.length, off + blockSize);
      ByteArrayOutputStream crcs = new ByteArrayOutputStream();
      DataOutputStream d = new DataOutputStream(crcs);
      for (int c = (int) off; c < end; c += 512) {
        CRC32C crc = new CRC32C();
        crc.update(data, c, Math.min(512, end - c));
        d.writeInt((int) crc.getValue());
      }
      blockMd5s.write(MessageDigest.getInstance("MD5").digest(crcs.toByteArray()));
    }
    int cap = 32;
    while (cap < blockMd5s.size()) {
      cap *= 2;
    }
    byte[] padded = Arrays.copyOf(blockMd5s.toByteArray(), cap);
    return MessageDigest.getInstance("MD5").digest(padded);
  }

  /** Bytes of an MD5MD5CRC32FileChecksum as it serialises: bytesPerCRC, crcPerBlock, MD5. */
  static byte[] md5md5crcBytes(int bytesPerCrc, long crcPerBlock, byte[] md5) {
    return ByteBuffer.allocate(28).putInt(bytesPerCrc).putLong(crcPerBlock).put(md5).array();
  }

  /** What the client's file checksum algorithm name is for data in blocks of blockSize. */
  static String md5md5crcName(int len, long blockSize) {
    long crcPerBlock = len > blockSize ? blockSize / 512 : 0;
    return "MD5-of-" + crcPerBlock + "MD5-of-512CRC32C";
  }

  static byte[] expectedMd5md5crcBytes(byte[] data, long blockSize) throws Exception {
    if (data.length == 0) {
      // The client's fixed answer for an empty file: MD5 of 32 zero bytes, CRC32 (gzip) type.
      return md5md5crcBytes(0, 0, MessageDigest.getInstance("MD5").digest(new byte[32]));
    }
    long crcPerBlock = data.length > blockSize ? blockSize / 512 : 0;
    return md5md5crcBytes(512, crcPerBlock, md5md5crc(data, blockSize));
  }

  static String expectedMd5md5crcName(byte[] data, long blockSize) {
    return data.length == 0 ? "MD5-of-0MD5-of-0CRC32" : md5md5crcName(data.length, blockSize);
  }

  /** COMPOSITE_CRC of a file is the CRC32C of all its bytes, block size notwithstanding. */
  static byte[] compositeCrc(byte[] data) {
    CRC32C c = new CRC32C();
    c.update(data, 0, data.length);
    return ByteBuffer.allocate(4).putInt((int) c.getValue()).array();
  }

  static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x & 0xff));
    }
    return s.toString();
  }

  static byte[] slice(byte[] b, int off, int len) {
    return Arrays.copyOfRange(b, off, off + len);
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      if (c != null) {
        c.close();
      }
    } catch (Exception ignored) {
      // best effort
    }
  }

  static IOException io(String msg) {
    return new IOException(msg);
  }
}
