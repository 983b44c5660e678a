package hdfschecksum

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"hash/crc32"
	"math/rand/v2"
	"strings"
	"testing"
)

// refBlockMD5 is an independent reference: the CRC32C of each 512-byte
// chunk, MD5 of them all.
func refBlockMD5(d []byte) [16]byte {
	var crcs []byte
	for i := 0; i < len(d); i += 512 {
		crcs = binary.BigEndian.AppendUint32(crcs, crc32.Checksum(d[i:min(i+512, len(d))], crc32.MakeTable(crc32.Castagnoli)))
	}
	return md5.Sum(crcs)
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, seed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func TestBlockMD5(t *testing.T) {
	ctx := context.Background()
	for _, n := range []int{1, 511, 512, 513, readSize, readSize + 700, 3*readSize + 1} {
		d := randBytes(uint64(n), n)
		got, err := BlockMD5(ctx, bytes.NewReader(d), int64(n))
		if err != nil || got != refBlockMD5(d) {
			t.Fatalf("%d bytes: %x, %v; want %x", n, got, err, refBlockMD5(d))
		}
	}
	if _, err := BlockMD5(ctx, bytes.NewReader(make([]byte, 100)), 200); err == nil || !strings.Contains(err.Error(), "block data ended 200 bytes early") {
		t.Fatalf("short block: %v", err)
	}
}

func TestCompositeCRCs(t *testing.T) {
	d := randBytes(9, 3*65536+777)
	tab := crc32.MakeTable(crc32.Castagnoli)
	got, err := CompositeCRCs(context.Background(), bytes.NewReader(d), int64(len(d)), 0)
	if want := binary.BigEndian.AppendUint32(nil, crc32.Checksum(d, tab)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("whole block: %x, %v; want %x", got, err, want)
	}
	got, err = CompositeCRCs(context.Background(), bytes.NewReader(d), int64(len(d)), 65536)
	var want []byte
	for i := 0; i < len(d); i += 65536 {
		want = binary.BigEndian.AppendUint32(want, crc32.Checksum(d[i:min(i+65536, len(d))], tab))
	}
	if err != nil || !bytes.Equal(got, want) || len(got) != 16 {
		t.Fatalf("striped: %x, %v; want %x", got, err, want)
	}
}

// TestFileChecksumVector is hdfs-protocol-notes §3.5 / colinmarc's
// testChecksum constant: "bar\n" in one block.
func TestFileChecksumVector(t *testing.T) {
	c, err := OfFile(context.Background(), strings.NewReader("bar\n"), 4, 128<<20)
	if err != nil {
		t.Fatal(err)
	}
	if got := hex.EncodeToString(c.MD5[:]); got != "27c076e4987344253650d3335a5d08ce" {
		t.Fatalf("md5 %s", got)
	}
	if c.Algorithm() != "MD5-of-0MD5-of-512CRC32C" {
		t.Fatalf("algorithm %s", c.Algorithm())
	}
	if got := hex.EncodeToString(c.Bytes()); got != "00000200"+"0000000000000000"+"27c076e4987344253650d3335a5d08ce" {
		t.Fatalf("bytes %s", got)
	}
}

func TestFileChecksumBlocks(t *testing.T) {
	const bs = 4096
	d := randBytes(3, 5*bs+100) // six blocks: 96 bytes of MD5s, padded to 128
	c, err := OfFile(context.Background(), bytes.NewReader(d), int64(len(d)), bs)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for off := 0; off < len(d); off += bs {
		m := refBlockMD5(d[off:min(off+bs, len(d))])
		all = append(all, m[:]...)
	}
	want := md5.Sum(append(all, make([]byte, 128-len(all))...))
	if c.MD5 != want || c.CRCPerBlock != bs/512 || c.BytesPerCRC != 512 || !c.CRC32C {
		t.Fatalf("got %+v, want md5 %x", c, want)
	}
	if c.Algorithm() != "MD5-of-8MD5-of-512CRC32C" || len(c.Bytes()) != 28 {
		t.Fatalf("%s %d", c.Algorithm(), len(c.Bytes()))
	}
	// Two blocks: 32 bytes of MD5s, no padding.
	d = d[:bs+1]
	c, _ = OfFile(context.Background(), bytes.NewReader(d), int64(len(d)), bs)
	a, b := refBlockMD5(d[:bs]), refBlockMD5(d[bs:])
	if c.MD5 != md5.Sum(append(a[:], b[:]...)) {
		t.Fatalf("two blocks: %x", c.MD5)
	}
}

func TestEmptyFileChecksum(t *testing.T) {
	c, err := OfFile(context.Background(), strings.NewReader(""), 0, 128<<20)
	if err != nil {
		t.Fatal(err)
	}
	// Hadoop's magic value: MD5 of 32 zero bytes, as MD5-of-0MD5-of-0CRC32.
	if c.Algorithm() != "MD5-of-0MD5-of-0CRC32" || hex.EncodeToString(c.Bytes()) != "00000000"+"0000000000000000"+"70bc8f4b72a86921468bf8e8441dce51" {
		t.Fatalf("%s %x", c.Algorithm(), c.Bytes())
	}
}
