package e2e_test

// The real github.com/colinmarc/hdfs/v2 client against this DataNode, with
// the project's NameNode and namespace over the shared MinIO (plain bucket).

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	hdfs "github.com/colinmarc/hdfs/v2"

	"github.com/emrfsd/emrfsd/datanode"
	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/fs"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/namenode"
	"github.com/emrfsd/emrfsd/providers"
	"github.com/emrfsd/emrfsd/providers/plain"
)

const e2eBlockSize = 1 << 20 // small blocks: files span several

func startGateway(t *testing.T) *hdfs.Client {
	t.Helper()
	env := testenv.Get(t)
	bucket := env.NewBucket(t, "dn-e2e")
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fsys, err := fs.New(ctx, fs.Options{
		S3:      env.S3Client(),
		Buckets: map[string]string{"b": bucket},
		Provider: func(context.Context, string) (providers.Provider, error) {
			return plain.New(), nil
		},
		Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	dnLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nnLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := dfs.New(dfs.Options{FS: fsys, Logger: log, BlockSize: e2eBlockSize})
	if err != nil {
		t.Fatal(err)
	}
	nn, err := namenode.New(namenode.Options{
		Namespace: ns, Logger: log,
		DataNode: namenode.DataNode{IPAddr: "127.0.0.1", XferPort: dnLn.Addr().(*net.TCPAddr).Port},
	})
	if err != nil {
		t.Fatal(err)
	}
	dn := datanode.New(datanode.Options{Blocks: nn.Blocks(), Logger: log})
	go nn.Serve(ctx, nnLn)
	go dn.Serve(ctx, dnLn)
	client, err := hdfs.NewClient(hdfs.ClientOptions{Addresses: []string{nnLn.Addr().String()}, User: "dn-e2e"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		client.Close()
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		nn.Shutdown(sctx)
		ns.Close(sctx)
		if err := dn.Shutdown(sctx); err != nil {
			t.Errorf("datanode Shutdown: %v", err)
		}
	})
	return client
}

func writeFile(t *testing.T, c *hdfs.Client, name string, data []byte, chunks int) {
	t.Helper()
	w, err := c.CreateFile(name, 1, e2eBlockSize, 0o644)
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	step := max(1, len(data)/max(chunks, 1))
	for off := 0; off < len(data); off += step {
		if _, err := w.Write(data[off:min(off+step, len(data))]); err != nil {
			t.Fatalf("write %s: %v", name, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close %s: %v", name, err)
	}
}

func TestColinmarcClient(t *testing.T) {
	c := startGateway(t)
	if err := c.MkdirAll("/b/dn", 0o755); err != nil {
		t.Fatal(err)
	}

	t.Run("checksum vector", func(t *testing.T) {
		writeFile(t, c, "/b/dn/foo.txt", []byte("bar\n"), 1)
		r, err := c.Open("/b/dn/foo.txt")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		sum, err := r.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		if got := hex.EncodeToString(sum); got != "27c076e4987344253650d3335a5d08ce" {
			t.Fatalf("checksum %s", got)
		}
	})

	sizes := []int{0, 1, 511, 512, 513, 65536 + 3, e2eBlockSize, 2*e2eBlockSize + 12345}
	for _, size := range sizes {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i*7 + i>>9)
		}
		name := "/b/dn/f" + string(rune('a'+len(sizes))) + "-" + itoa(size)
		t.Run("size "+itoa(size), func(t *testing.T) {
			writeFile(t, c, name, data, 7)
			got, err := c.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, data) {
				t.Fatalf("read back %d bytes, differ from the %d written", len(got), len(data))
			}
			if size == 0 {
				return
			}
			r, err := c.Open(name)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			for _, off := range []int{0, 1, 511, 512, 513, size / 2, e2eBlockSize - 1, e2eBlockSize, e2eBlockSize + 1, size - 1} {
				if off < 0 || off >= size {
					continue
				}
				n := min(1000, size-off)
				buf := make([]byte, n)
				if _, err := r.ReadAt(buf, int64(off)); err != nil && err != io.EOF {
					t.Fatalf("ReadAt(%d): %v", off, err)
				}
				if !bytes.Equal(buf, data[off:off+n]) {
					t.Fatalf("ReadAt(%d) differs", off)
				}
			}
		})
	}

	// Flush mid-chunk: colinmarc then realigns with a short packet, which
	// the DataNode must place at its unaligned offset.
	t.Run("flush", func(t *testing.T) {
		data := bytes.Repeat([]byte("flush-me-"), 2000)
		w, err := c.CreateFile("/b/dn/flushed", 1, e2eBlockSize, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		for _, cut := range [][2]int{{0, 700}, {700, 2700}, {2700, 2701}, {2701, len(data)}} {
			if _, err := w.Write(data[cut[0]:cut[1]]); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := c.ReadFile("/b/dn/flushed")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("read back: %v, %d bytes", err, len(got))
		}
	})

	t.Run("concurrent readers", func(t *testing.T) {
		name := "/b/dn/f" + string(rune('a'+len(sizes))) + "-" + itoa(sizes[len(sizes)-1])
		want, err := c.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 4)
		for range 4 {
			go func() {
				got, err := c.ReadFile(name)
				if err == nil && !bytes.Equal(got, want) {
					err = io.ErrUnexpectedEOF
				}
				errs <- err
			}()
		}
		for range 4 {
			if err := <-errs; err != nil {
				t.Fatal(err)
			}
		}
	})
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
