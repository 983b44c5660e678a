package gcmstream

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"io"
	"runtime"
	"testing"
)

const memStreamLen = 64 << 20

// allocDuring reports the bytes the heap allocated while f ran.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func encryptPattern(t testing.TB, key, iv, pattern []byte, total int, dst io.Writer) {
	e, err := NewEncrypter(key, iv, dst)
	if err != nil {
		t.Fatal(err)
	}
	for left := total; left > 0; {
		k := min(left, len(pattern))
		if _, err := e.Write(pattern[:k]); err != nil {
			t.Fatal(err)
		}
		left -= k
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestMemoryBound checks that streaming N bytes allocates O(1): a 64 MiB
// stream allocates at most MemoryBound bytes in total, and no more than a
// 1 MiB stream does (up to a small slack).
func TestMemoryBound(t *testing.T) {
	key, iv := testKey(30), testIV(30)
	pattern := testData(30, 48<<10+5) // odd write size, not chunk aligned

	encAlloc := func(total int) uint64 {
		return allocDuring(func() { encryptPattern(t, key, iv, pattern, total, io.Discard) })
	}
	small, large := encAlloc(1<<20), encAlloc(memStreamLen)
	t.Logf("encrypt: 1 MiB stream allocated %d B, 64 MiB stream allocated %d B", small, large)
	if large > MemoryBound {
		t.Errorf("encrypting 64 MiB allocated %d bytes, above MemoryBound %d", large, MemoryBound)
	}
	if large > small+4096 {
		t.Errorf("encrypt allocation grows with length: %d (1 MiB) vs %d (64 MiB)", small, large)
	}

	// Decrypt: the stored object is built before measuring.
	var stored bytes.Buffer
	stored.Grow(memStreamLen + TagSize)
	encryptPattern(t, key, iv, pattern, memStreamLen, &stored)
	var smallStored bytes.Buffer
	encryptPattern(t, key, iv, pattern, 1<<20, &smallStored)
	buf := make([]byte, len(pattern))
	decAlloc := func(s []byte) uint64 {
		return allocDuring(func() {
			r, err := NewDecrypter(key, iv, bytes.NewReader(s), int64(len(s)))
			if err != nil {
				t.Fatal(err)
			}
			pos := 0
			for {
				n, err := io.ReadFull(r, buf)
				// The plaintext is the pattern repeated; check it without
				// allocating.
				if !bytes.Equal(buf[:n], pattern[:n]) {
					t.Fatalf("plaintext wrong at %d", pos)
				}
				pos += n
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			if pos != len(s)-TagSize {
				t.Fatalf("read %d bytes", pos)
			}
		})
	}
	small, large = decAlloc(smallStored.Bytes()), decAlloc(stored.Bytes())
	t.Logf("decrypt: 1 MiB stream allocated %d B, 64 MiB stream allocated %d B", small, large)
	if large > MemoryBound {
		t.Errorf("decrypting 64 MiB allocated %d bytes, above MemoryBound %d", large, MemoryBound)
	}
	if large > small+4096 {
		t.Errorf("decrypt allocation grows with length: %d (1 MiB) vs %d (64 MiB)", small, large)
	}
}

func TestSteadyStateAllocs(t *testing.T) {
	key, iv := testKey(31), testIV(31)
	e, _ := NewEncrypter(key, iv, io.Discard)
	p := make([]byte, 100<<10)
	if a := testing.AllocsPerRun(50, func() {
		if _, err := e.Write(p); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Encrypter.Write allocates %v times per call", a)
	}
	stored := seal(t, key, iv, make([]byte, 8<<20))
	r, _ := NewDecrypter(key, iv, bytes.NewReader(stored), int64(len(stored)))
	if a := testing.AllocsPerRun(50, func() {
		if _, err := io.ReadFull(r, p); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Decrypter.Read allocates %v times per call", a)
	}
	rr, _ := NewRangeDecrypter(key, iv, bytes.NewReader(stored[16:]), 21, 6<<20)
	if a := testing.AllocsPerRun(50, func() {
		if _, err := io.ReadFull(rr, p); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("range reader allocates %v times per call", a)
	}
}

// reportCPU runs the benchmark loop body and reports cpu-MB/s.
func reportCPU(b *testing.B, bytesPerOp int, body func()) {
	b.SetBytes(int64(bytesPerOp))
	start := cpuTime()
	n := 0
	for b.Loop() {
		body()
		n++
	}
	if d := cpuTime() - start; start > 0 && d > 0 {
		b.ReportMetric(float64(bytesPerOp)*float64(n)/d.Seconds()/1e6, "cpu-MB/s")
	}
}

func benchData(b *testing.B) (key, iv, pt, stored []byte) {
	key, iv = testKey(40), testIV(40)
	pt = testData(40, memStreamLen)
	return key, iv, pt, seal(b, key, iv, pt)
}

func BenchmarkEncrypt64MiB(b *testing.B) {
	key, iv, pt, _ := benchData(b)
	reportCPU(b, len(pt), func() {
		e, err := NewEncrypter(key, iv, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		for p := pt; len(p) > 0; p = p[min(len(p), 1<<20):] {
			if _, err := e.Write(p[:min(len(p), 1<<20)]); err != nil {
				b.Fatal(err)
			}
		}
		if err := e.Close(); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkSeal64MiB(b *testing.B) {
	key, iv, pt, stored := benchData(b)
	blk, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(blk)
	reportCPU(b, len(pt), func() {
		stored = aead.Seal(stored[:0], iv, pt, nil)
	})
}

func BenchmarkDecrypt64MiB(b *testing.B) {
	key, iv, pt, stored := benchData(b)
	buf := make([]byte, 1<<20)
	reportCPU(b, len(pt), func() {
		r, err := NewDecrypter(key, iv, bytes.NewReader(stored), int64(len(stored)))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := r.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkOpen64MiB(b *testing.B) {
	key, iv, pt, stored := benchData(b)
	blk, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCM(blk)
	reportCPU(b, len(pt), func() {
		var err error
		if pt, err = aead.Open(pt[:0], iv, stored, nil); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkNewHasher(b *testing.B) {
	key := testKey(41)
	for b.Loop() {
		if _, err := NewHasher(key); err != nil {
			b.Fatal(err)
		}
	}
}
