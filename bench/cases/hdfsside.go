package cases

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/bench/data"
)

// closeWriter closes w, retrying while the NameNode reports the last block
// as still replicating (as Hadoop clients do).
func closeWriter(w *hdfs.FileWriter) error {
	var err error
	for range 100 {
		if err = w.Close(); !errors.Is(err, hdfs.ErrReplicating) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

// hdfsWrite creates path and writes size bytes of the stream seed through
// the HDFS client, in 1 MiB writes.
func hdfsWrite(c *hdfs.Client, path string, seed uint64, size int64, buf []byte) error {
	w, err := c.Create(path)
	if err != nil {
		return fmt.Errorf("emrfsd: create %s: %w", path, err)
	}
	if _, err := io.CopyBuffer(w, io.LimitReader(data.New(seed, size), size), buf); err != nil {
		_ = w.Close()
		return fmt.Errorf("emrfsd: write %s: %w", path, err)
	}
	if err := closeWriter(w); err != nil {
		return fmt.Errorf("emrfsd: close %s: %w", path, err)
	}
	return nil
}

// hdfsWriteSmall creates path holding body.
func hdfsWriteSmall(c *hdfs.Client, path string, body []byte) error {
	w, err := c.Create(path)
	if err != nil {
		return fmt.Errorf("emrfsd: create %s: %w", path, err)
	}
	if _, err := w.Write(body); err != nil {
		_ = w.Close()
		return fmt.Errorf("emrfsd: write %s: %w", path, err)
	}
	if err := closeWriter(w); err != nil {
		return fmt.Errorf("emrfsd: close %s: %w", path, err)
	}
	return nil
}

// hdfsRead reads a whole file and returns its length and CRC32C.
func hdfsRead(c *hdfs.Client, path string, buf []byte) (int64, uint32, error) {
	f, err := c.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("emrfsd: open %s: %w", path, err)
	}
	defer f.Close()
	n, crc, err := crcCopy(f, buf)
	if err != nil {
		return n, crc, fmt.Errorf("emrfsd: read %s: %w", path, err)
	}
	return n, crc, nil
}

// hdfsRemove deletes path (a file or a directory tree); a missing path is
// not an error.
func hdfsRemove(c *hdfs.Client, path string) error {
	// Never remove a top-level directory (a bucket root) or the root.
	if strings.Count(strings.Trim(path, "/"), "/") < 1 {
		return fmt.Errorf("emrfsd: refusing to remove %q", path)
	}
	if err := c.RemoveAll(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("emrfsd: remove %s: %w", path, err)
	}
	return nil
}
