package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/testdaemon"
)

// TestHDFSCLI runs every command of the colinmarc hdfs CLI against a plain,
// an sse-kms and a cse-kms bucket through one emrfsd.
func TestHDFSCLI(t *testing.T) {
	g := newGateway(t, nil)
	me := currentUser(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	run := func(t *testing.T, stdin string, args ...string) string {
		t.Helper()
		out, err := g.hdfsCLI(ctx, me, stdin, args...)
		if err != nil {
			t.Fatalf("hdfs %s: %v\n%s\ndaemon log:\n%s", strings.Join(args, " "), err, out, tail(g.Log.String(), 40))
		}
		return out
	}
	fails := func(t *testing.T, args ...string) string {
		t.Helper()
		out, err := g.hdfsCLI(ctx, me, "", args...)
		if err == nil {
			t.Fatalf("hdfs %s succeeded, want failure:\n%s", strings.Join(args, " "), out)
		}
		return out
	}
	local := t.TempDir()
	payload := make([]byte, 3<<20+123)
	rand.Read(payload)
	src := filepath.Join(local, "payload.bin")
	os.WriteFile(src, payload, 0o600)

	for _, dir := range Dirs {
		t.Run(dir, func(t *testing.T) {
			base := "/" + dir + "/cli"
			run(t, "", "mkdir", "-p", base+"/a/b")
			if out := run(t, "", "ls", base+"/a"); strings.TrimSpace(out) != "b" {
				t.Fatalf("ls after mkdir -p: %q", out)
			}
			run(t, "", "put", src, base+"/a/payload.bin")
			run(t, "hello, emrfsd\n", "put", "-", base+"/hello.txt")
			if out := run(t, "", "cat", base+"/hello.txt"); out != "hello, emrfsd\n" {
				t.Fatalf("cat: %q", out)
			}
			got := filepath.Join(local, dir+"-got.bin")
			run(t, "", "get", base+"/a/payload.bin", got)
			if b, _ := os.ReadFile(got); !bytes.Equal(b, payload) {
				t.Fatal("get: content differs")
			}
			if out := run(t, "", "head", "-c", "5", base+"/hello.txt"); out != "hello" {
				t.Fatalf("head: %q", out)
			}
			if out := run(t, "", "tail", "-c", "7", base+"/hello.txt"); out != "emrfsd\n" {
				t.Fatalf("tail: %q", out)
			}
			// Lengths are plaintext lengths in every bucket.
			out := run(t, "", "ls", "-l", base+"/a/payload.bin")
			if !strings.Contains(out, "3145851") {
				t.Fatalf("ls -l size: %q", out)
			}
			out = run(t, "", "ls", "-lR", base)
			for _, want := range []string{"hello.txt", "payload.bin", "b"} {
				if !strings.Contains(out, want) {
					t.Fatalf("ls -lR missing %s: %q", want, out)
				}
			}
			out = run(t, "", "du", "-s", base)
			if !strings.Contains(out, "3145865") { // 3145851 + 14
				t.Fatalf("du -s: %q", out)
			}
			if out := run(t, "", "df"); !strings.Contains(out, "Filesystem") {
				t.Fatalf("df: %q", out)
			}
			out = run(t, "", "checksum", base+"/a/payload.bin")
			want := hex.EncodeToString(hadoopChecksum(payload, 128<<20))
			if !strings.HasPrefix(out, want) {
				t.Fatalf("checksum: got %q want %s", out, want)
			}
			run(t, "", "mv", base+"/hello.txt", base+"/a/hello2.txt")
			fails(t, "test", "-e", base+"/hello.txt")
			if out := run(t, "", "cat", base+"/a/hello2.txt"); out != "hello, emrfsd\n" {
				t.Fatalf("cat after mv: %q", out)
			}
			run(t, "", "touch", base+"/empty")
			run(t, "", "test", "-z", base+"/empty")
			run(t, "", "test", "-f", base+"/a/hello2.txt")
			run(t, "", "test", "-d", base+"/a")
			run(t, "", "test", "-s", base+"/a/payload.bin")
			fails(t, "test", "-d", base+"/a/hello2.txt")
			run(t, "", "chmod", "600", base+"/a/hello2.txt")
			if out := run(t, "", "ls", "-l", base+"/a/hello2.txt"); !strings.Contains(out, "-rw-------") {
				t.Fatalf("chmod not visible: %q", out)
			}
			run(t, "", "chown", me+":staff", base+"/a/hello2.txt")
			if out := run(t, "", "ls", "-l", base+"/a/hello2.txt"); !strings.Contains(out, "staff") {
				t.Fatalf("chown not visible: %q", out)
			}
			merged := filepath.Join(local, dir+"-merged")
			run(t, "part one\n", "put", "-", base+"/m/1")
			run(t, "part two\n", "put", "-", base+"/m/2")
			run(t, "", "getmerge", base+"/m", merged)
			if b, _ := os.ReadFile(merged); string(b) != "part one\npart two\n" {
				t.Fatalf("getmerge: %q", b)
			}
			// S3 objects are immutable: truncate to a shorter length is refused
			// clearly, and nothing changes.
			out = fails(t, "truncate", "3", base+"/m/1")
			if !strings.Contains(strings.ToLower(out), "truncate") && !strings.Contains(strings.ToLower(out), "support") {
				t.Fatalf("truncate refusal unclear: %q", out)
			}
			if out := run(t, "", "cat", base+"/m/1"); out != "part one\n" {
				t.Fatalf("after refused truncate: %q", out)
			}
			run(t, "", "rm", "-r", base)
			fails(t, "ls", base)
		})
	}
}

func tail(s string, lines int) string { return testdaemon.Tail(s, lines) }
