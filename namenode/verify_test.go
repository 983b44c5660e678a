package namenode

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/emrfsd/emrfsd/blocks"
	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/dfs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/internal/testenv"
	"github.com/emrfsd/emrfsd/providers/cse"
)

// tamper flips one byte of a stored object and PUTs it back with the same
// metadata (its ETag changes).
func tamper(t *testing.T, cl *s3.Client, bucket, key string, pos int) {
	t.Helper()
	ctx := context.Background()
	out, err := cl.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(out.Body)
	out.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	body[pos] ^= 0x20
	if _, err := cl.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body), Metadata: out.Metadata}); err != nil {
		t.Fatal(err)
	}
}

// TestWholeFileAuthenticatedAcrossBlocks: a client reading a CSE-KMS file
// block by block gets the whole-object GCM tag verified; after one byte of
// block 1 of 3 is altered in S3, a whole read fails and the final packet of
// the last block never reaches the client. Partial reads stay
// unauthenticated. Data keys come from the cache: KMS sees one Decrypt.
func TestWholeFileAuthenticatedAcrossBlocks(t *testing.T) {
	env := testenv.Get(t)
	key := env.NewKMSKey(t, "nn-verify")
	auditPath := filepath.Join(t.TempDir(), "audit.log")
	audit, err := kms.OpenAuditLog(auditPath)
	if err != nil {
		t.Fatal(err)
	}
	defer audit.Close()
	keys, err := cache.New(cache.Options{MaxEntries: 64, TTL: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Purge()
	pr, err := cse.NewKMS(cse.KMSOptions{KMS: kms.NewAudited(kms.NewAWS(env.KMSClient()), audit),
		KeyID: key.Alias, KeyARN: key.ARN, Cache: keys})
	if err != nil {
		t.Fatal(err)
	}
	const bs = 1 << 20
	c := newClusterWith(t, dfs.Options{BlockSize: bs}, pr)
	cl := c.alice
	decrypts := func() int {
		t.Helper()
		recs, err := kms.ReadAudit(auditPath)
		if err != nil {
			t.Fatal(err)
		}
		return kms.CountOps(recs)["Decrypt"]
	}

	data := make([]byte, 3*bs-100<<10+5) // blocks of 1 MiB, 1 MiB, 924 KiB + 5
	rand.Read(data)
	p := c.root + "/big"
	w, err := cl.CreateFile(p, 1, bs, 0644)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, err := cl.Stat(p); err != nil || fi.Size() != int64(len(data)) {
		t.Fatalf("stat: %v %v", fi, err)
	}

	// Whole read: authenticated, and correct.
	got, err := cl.ReadFile(p)
	if err != nil {
		t.Fatalf("whole read: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("whole read differs")
	}
	if d := decrypts(); d != 1 {
		t.Fatalf("%d KMS Decrypt calls after one whole read, want 1", d)
	}
	if _, err := cl.ReadFile(p); err != nil {
		t.Fatalf("second whole read: %v", err)
	}

	// One byte of block 1 altered in S3. The file is opened anew (new ETag).
	tamper(t, env.S3Client(), c.bucket, "big", bs+12345)
	r, err := cl.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(data))
	n, err := io.ReadFull(r, buf)
	r.Close()
	if err == nil {
		t.Fatal("whole read of a tampered file succeeded")
	}
	// Blocks 0 and 1 were handed out (unauthenticated, as in any streaming
	// GCM reader); the held-back end of the final block, which contains its
	// last packet, was not.
	if n < 2*bs || n > len(data)-blocks.VerifyHold {
		t.Fatalf("tampered read returned %d of %d bytes before failing (%v), want between %d and %d",
			n, len(data), err, 2*bs, len(data)-blocks.VerifyHold)
	}
	want := bytes.Clone(data[:n])
	want[bs+12345] ^= 0x20 // CTR: the flipped ciphertext bit flips the plaintext bit
	if !bytes.Equal(buf[:n], want) {
		t.Fatal("bytes before the failure differ from the tampered plaintext")
	}
	t.Logf("tampered whole read: %d of %d bytes, then %v", n, len(data), err)
	if _, err := cl.ReadFile(p); err == nil {
		t.Fatal("second whole read of a tampered file succeeded")
	}

	// Once a version failed, its blocks are refused even to ranged reads:
	// a client retrying from where the cut stream stopped gets nothing more.
	rr, err := c.client(t, "alice").Open(p)
	if err != nil {
		t.Fatal(err)
	}
	last := make([]byte, len(data)-2*bs)
	if _, err := rr.ReadAt(last, 2*bs); err == nil {
		t.Fatal("ranged read of a version known to be tampered succeeded")
	}
	rr.Close()

	// A new version, altered inside the final block as well: reading only
	// the final block (random access, no record of the earlier blocks) is
	// unauthenticated, like every ranged S3EC read, and returns the altered
	// bytes; a whole read still fails.
	tamper(t, env.S3Client(), c.bucket, "big", 2*bs+100)
	rr, err = c.client(t, "alice").Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rr.ReadAt(last, 2*bs); err != nil {
		t.Fatalf("ranged read of the final block: %v", err)
	}
	rr.Close()
	wantLast := bytes.Clone(data[2*bs:])
	wantLast[100] ^= 0x20
	if !bytes.Equal(last, wantLast) {
		t.Fatal("ranged read of the final block: not the stored (altered) bytes")
	}
	if _, err := cl.ReadFile(p); err == nil {
		t.Fatal("whole read of the twice-tampered file succeeded")
	}

	// A one-block file is authenticated by the provider's whole-object read.
	small := make([]byte, 300<<10)
	rand.Read(small)
	if err := writeFile(cl, c.root+"/small", small); err != nil {
		t.Fatal(err)
	}
	if got, err := cl.ReadFile(c.root + "/small"); err != nil || !bytes.Equal(got, small) {
		t.Fatalf("one-block read: %v", err)
	}
	tamper(t, env.S3Client(), c.bucket, "small", 1000)
	rs, err := cl.Open(c.root + "/small")
	if err != nil {
		t.Fatal(err)
	}
	sbuf := make([]byte, len(small))
	n, err = io.ReadFull(rs, sbuf)
	rs.Close()
	// The provider releases whole 64 KiB chunks and the last one only after
	// the tag verified: the final packet (the last 45056 bytes) never
	// arrives.
	if lastPacket := len(small) % (64 << 10); err == nil || n > len(small)-lastPacket {
		t.Fatalf("tampered one-block file: %d of %d bytes, err %v", n, len(small), err)
	}
	t.Logf("tampered one-block read: %d of %d bytes, then %v", n, len(small), err)

	// Every read used the cached data key of its object: one Decrypt per
	// object, tampering included (the envelope is unchanged).
	if d := decrypts(); d != 2 {
		t.Fatalf("%d KMS Decrypt calls for two objects read 9 times, want 2", d)
	}
	// The integrity failure is not reported as a missing block.
	if strings.Contains(err.Error(), "unknown block") {
		t.Fatalf("integrity failure surfaced as %v", err)
	}
}
