package gcmstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
)

var sizes = []int{0, 1, 15, 16, 17, 100, 4095, 4096, 4097, 64<<10 - 1, 64 << 10, 64<<10 + 1, 1 << 20, 3<<20 + 5}

func TestEncrypterMatchesSeal(t *testing.T) {
	key, iv := testKey(1), testIV(1)
	for _, size := range sizes {
		pt := testData(uint64(size), size)
		want := seal(t, key, iv, pt)
		for _, ws := range []int{1, 7, 16, 4096, 64 << 10, 1 << 20} {
			if ws == 1 && size > 1<<20 {
				ws = 3 // keep the test fast; 1-byte writes are covered up to 1 MiB
			}
			t.Run(fmt.Sprintf("size=%d/write=%d", size, ws), func(t *testing.T) {
				got := encryptStream(t, key, iv, pt, ws)
				if !bytes.Equal(got, want) {
					t.Fatalf("ciphertext differs from Seal (len %d vs %d)", len(got), len(want))
				}
			})
		}
		t.Run(fmt.Sprintf("size=%d/random", size), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(size), 9))
			var out bytes.Buffer
			e, err := NewEncrypter(key, iv, &out)
			if err != nil {
				t.Fatal(err)
			}
			for p := pt; len(p) > 0; {
				k := min(len(p), 1+r.IntN(200<<10))
				if r.IntN(4) == 0 {
					k = min(len(p), r.IntN(40))
				}
				if _, err := e.Write(p[:k]); err != nil {
					t.Fatal(err)
				}
				p = p[k:]
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Fatal("ciphertext differs from Seal")
			}
		})
	}
}

func TestEncrypterKeySizes(t *testing.T) {
	for _, ks := range []int{16, 24, 32} {
		key := testKey(uint64(ks))[:ks]
		iv := testIV(3)
		pt := testData(5, 70000)
		if got, want := encryptStream(t, key, iv, pt, 999), seal(t, key, iv, pt); !bytes.Equal(got, want) {
			t.Fatalf("key size %d: differs from Seal", ks)
		}
	}
}

func TestEncrypterStreamsAsItArrives(t *testing.T) {
	var out bytes.Buffer
	e, err := NewEncrypter(testKey(1), testIV(1), &out)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		if _, err := e.Write(make([]byte, 10)); err != nil {
			t.Fatal(err)
		}
		if out.Len() != 10*i {
			t.Fatalf("after %d writes dst holds %d bytes, want %d", i, out.Len(), 10*i)
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != 50+TagSize {
		t.Fatalf("final length %d", out.Len())
	}
}

type failWriter struct{ after int }

var errDisk = errors.New("disk full")

func (f *failWriter) Write(p []byte) (int, error) {
	if f.after < len(p) {
		n := max(f.after, 0)
		f.after = 0
		return n, errDisk
	}
	f.after -= len(p)
	return len(p), nil
}

func TestEncrypterErrors(t *testing.T) {
	key, iv := testKey(1), testIV(1)

	t.Run("dst error is sticky and blocks the tag", func(t *testing.T) {
		e, err := NewEncrypter(key, iv, &failWriter{after: 100})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Write(make([]byte, 50)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Write(make([]byte, 100)); !errors.Is(err, errDisk) {
			t.Fatalf("Write err = %v", err)
		}
		if _, err := e.Write(make([]byte, 1)); !errors.Is(err, errDisk) {
			t.Fatalf("second Write err = %v", err)
		}
		if err := e.Close(); !errors.Is(err, errDisk) {
			t.Fatalf("Close err = %v", err)
		}
	})
	t.Run("tag write error", func(t *testing.T) {
		e, _ := NewEncrypter(key, iv, &failWriter{after: 20})
		if _, err := e.Write(make([]byte, 20)); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); !errors.Is(err, errDisk) {
			t.Fatalf("Close err = %v", err)
		}
	})
	t.Run("write after close", func(t *testing.T) {
		e, _ := NewEncrypter(key, iv, io.Discard)
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		if err := e.Close(); err != nil {
			t.Fatalf("second Close = %v", err)
		}
		if _, err := e.Write([]byte{1}); !errors.Is(err, ErrClosed) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("MaxPlaintext", func(t *testing.T) {
		e, _ := NewEncrypter(key, iv, io.Discard)
		e.written = MaxPlaintext - 3 // as if that much had been written
		if n, err := e.Write(make([]byte, 3)); err != nil || n != 3 {
			t.Fatalf("write up to the limit: n=%d err=%v", n, err)
		}
		if n, err := e.Write(make([]byte, 1)); !errors.Is(err, ErrTooLarge) || n != 0 {
			t.Fatalf("write past the limit: n=%d err=%v", n, err)
		}
		if err := e.Close(); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Close after overflow = %v", err)
		}
	})
}

func TestBadInputs(t *testing.T) {
	key, iv := testKey(1), testIV(1)
	badKeys := [][]byte{nil, {}, make([]byte, 15), make([]byte, 31), make([]byte, 33), make([]byte, 64)}
	badIVs := [][]byte{nil, {}, make([]byte, 11), make([]byte, 13), make([]byte, 16)}
	for _, k := range badKeys {
		if _, err := NewEncrypter(k, iv, io.Discard); !errors.Is(err, ErrKeySize) {
			t.Errorf("NewEncrypter key len %d: %v", len(k), err)
		}
		if _, err := NewDecrypter(k, iv, bytes.NewReader(nil), 16); !errors.Is(err, ErrKeySize) {
			t.Errorf("NewDecrypter key len %d: %v", len(k), err)
		}
		if _, err := NewRangeDecrypter(k, iv, bytes.NewReader(nil), 0, 1); !errors.Is(err, ErrKeySize) {
			t.Errorf("NewRangeDecrypter key len %d: %v", len(k), err)
		}
		if _, err := NewHasher(k); !errors.Is(err, ErrKeySize) {
			t.Errorf("NewHasher key len %d: %v", len(k), err)
		}
	}
	for _, v := range badIVs {
		if _, err := NewEncrypter(key, v, io.Discard); !errors.Is(err, ErrNonceSize) {
			t.Errorf("NewEncrypter iv len %d: %v", len(v), err)
		}
		if _, err := NewDecrypter(key, v, bytes.NewReader(nil), 16); !errors.Is(err, ErrNonceSize) || !errors.Is(err, errs.ErrIntegrity) {
			t.Errorf("NewDecrypter iv len %d: %v", len(v), err)
		}
		if _, err := NewRangeDecrypter(key, v, bytes.NewReader(nil), 0, 1); !errors.Is(err, ErrNonceSize) {
			t.Errorf("NewRangeDecrypter iv len %d: %v", len(v), err)
		}
	}
	for _, sl := range []int64{-1, 0, 15, MaxPlaintext + TagSize + 1, 1 << 62} {
		if _, err := NewDecrypter(key, iv, bytes.NewReader(nil), sl); !isAuth(err) {
			t.Errorf("NewDecrypter storedLen %d: %v", sl, err)
		}
	}
	for _, r := range [][2]int64{{-1, 1}, {0, -1}, {MaxPlaintext, 1}, {MaxPlaintext + 1, 0}, {1, MaxPlaintext}, {1 << 62, 1 << 62}} {
		if _, err := NewRangeDecrypter(key, iv, bytes.NewReader(nil), r[0], r[1]); !errors.Is(err, ErrRange) {
			t.Errorf("NewRangeDecrypter(%d, %d): %v", r[0], r[1], err)
		}
	}
	if !errors.Is(ErrAuth, errs.ErrIntegrity) {
		t.Error("ErrAuth does not wrap errs.ErrIntegrity")
	}
	h, err := NewHasher(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Verify(make([]byte, 5), [16]byte{}, 0, make([]byte, 16)); !errors.Is(err, ErrNonceSize) {
		t.Errorf("Verify bad iv: %v", err)
	}
	for _, pl := range []int64{-1, MaxPlaintext + 1} {
		if err := h.Verify(iv, [16]byte{}, pl, make([]byte, 16)); !isAuth(err) {
			t.Errorf("Verify plainLen %d: %v", pl, err)
		}
	}
	if err := h.Verify(iv, [16]byte{}, 0, make([]byte, 15)); !isAuth(err) {
		t.Errorf("Verify short tag: %v", err)
	}
	// No panics on odd but callable values.
	_ = h.Tag(nil, [16]byte{}, -5)
	_ = h.Combine([16]byte{1}, [16]byte{2}, -3)
	if _, err := NewHasherFromBlock(nil); err == nil {
		t.Error("NewHasherFromBlock(nil) succeeded")
	}
}
