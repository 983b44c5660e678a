package gcmstream

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

func decryptAll(t testing.TB, key, iv, stored []byte, storedLen int64, rs int) ([]byte, error) {
	t.Helper()
	r, err := NewDecrypter(key, iv, bytes.NewReader(stored), storedLen)
	if err != nil {
		return nil, err
	}
	out, err := readAllChecked(r, rs)
	if err == io.EOF {
		err = nil
	}
	return out, err
}

func TestDecrypterRoundTrip(t *testing.T) {
	key, iv := testKey(2), testIV(2)
	for _, size := range sizes {
		pt := testData(uint64(size)+7, size)
		stored := seal(t, key, iv, pt)
		for _, rs := range []int{1, 7, 16, 4096, 64 << 10, 1 << 20} {
			if rs == 1 && size > 1<<20 {
				rs = 3
			}
			t.Run(fmt.Sprintf("size=%d/read=%d", size, rs), func(t *testing.T) {
				got, err := decryptAll(t, key, iv, stored, int64(len(stored)), rs)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, pt) {
					t.Fatal("plaintext differs")
				}
			})
		}
	}
}

func TestDecrypterReaderShapes(t *testing.T) {
	key, iv := testKey(3), testIV(3)
	pt := testData(3, 70001)
	stored := seal(t, key, iv, pt)
	shapes := map[string]func(io.Reader) io.Reader{
		"OneByte":  iotest.OneByteReader,
		"Half":     iotest.HalfReader,
		"DataErr":  iotest.DataErrReader,
		"Timeout":  func(r io.Reader) io.Reader { return &retryTimeout{r: iotest.TimeoutReader(r)} },
		"TestRead": func(r io.Reader) io.Reader { return r },
	}
	for name, shape := range shapes {
		t.Run(name, func(t *testing.T) {
			r, err := NewDecrypter(key, iv, shape(bytes.NewReader(stored)), int64(len(stored)))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("err=%v equal=%v", err, bytes.Equal(got, pt))
			}
		})
	}
	r, _ := NewDecrypter(key, iv, bytes.NewReader(stored), int64(len(stored)))
	if err := iotest.TestReader(r, pt); err != nil {
		t.Fatal(err)
	}
}

// retryTimeout turns the one-off ErrTimeout of iotest.TimeoutReader into a
// retried read, to feed the decrypter a (0, nil)-free source that still
// splits reads oddly.
type retryTimeout struct{ r io.Reader }

func (rt *retryTimeout) Read(p []byte) (int, error) {
	n, err := rt.r.Read(p)
	if errors.Is(err, iotest.ErrTimeout) {
		return rt.r.Read(p)
	}
	return n, err
}

func TestDecrypterSplitAroundTag(t *testing.T) {
	key, iv := testKey(4), testIV(4)
	for _, size := range []int{0, 1, 15, 16, 17, 40, 64 << 10, 64<<10 + 3} {
		pt := testData(uint64(size), size)
		stored := seal(t, key, iv, pt)
		lo := max(0, size-20)
		for a := lo; a <= len(stored); a++ {
			for b := a; b <= len(stored); b++ {
				src := &splitReader{data: stored, cuts: []int{a, b}}
				r, err := NewDecrypter(key, iv, src, int64(len(stored)))
				if err != nil {
					t.Fatal(err)
				}
				got, err := readAllChecked(r, 5)
				if err != io.EOF || !bytes.Equal(got, pt) {
					t.Fatalf("size %d cuts %d,%d: err=%v equal=%v", size, a, b, err, bytes.Equal(got, pt))
				}
			}
		}
	}
}

// expectAuthFailure reads everything and requires ErrAuth, never io.EOF, and
// that the last plaintext byte was never released.
func expectAuthFailure(t *testing.T, what string, r io.Reader, plainLen int) {
	t.Helper()
	got, err := readAllChecked(r, 4093)
	if err == io.EOF {
		t.Fatalf("%s: clean EOF on tampered input", what)
	}
	if !isAuth(err) {
		t.Fatalf("%s: err = %v, want ErrAuth", what, err)
	}
	if plainLen > 0 && len(got) >= plainLen {
		t.Fatalf("%s: released %d bytes of a %d-byte plaintext before failing", what, len(got), plainLen)
	}
}

func TestDecrypterBitFlips(t *testing.T) {
	key, iv := testKey(5), testIV(5)
	pt := testData(5, 37)
	stored := seal(t, key, iv, pt)
	for i := range len(stored) * 8 {
		bad := bytes.Clone(stored)
		bad[i/8] ^= 1 << (i % 8)
		r, err := NewDecrypter(key, iv, bytes.NewReader(bad), int64(len(bad)))
		if err != nil {
			t.Fatal(err)
		}
		expectAuthFailure(t, fmt.Sprintf("bit %d", i), r, len(pt))
	}
	// A larger message: flip one bit per region (first chunk, chunk
	// boundaries, last partial block, tag).
	big := testData(6, 3*ChunkSize+21)
	stored = seal(t, key, iv, big)
	for _, pos := range []int{0, 15, 16, ChunkSize - 1, ChunkSize, 2*ChunkSize + 7, 3 * ChunkSize, len(big) - 1, len(big), len(stored) - 1} {
		bad := bytes.Clone(stored)
		bad[pos] ^= 0x80
		r, _ := NewDecrypter(key, iv, bytes.NewReader(bad), int64(len(bad)))
		expectAuthFailure(t, fmt.Sprintf("byte %d", pos), r, len(big))
		// Reading exactly the plaintext length must fail too.
		r, _ = NewDecrypter(key, iv, bytes.NewReader(bad), int64(len(bad)))
		if _, err := io.ReadFull(r, make([]byte, len(big))); !isAuth(err) {
			t.Fatalf("byte %d: ReadFull of plainLen bytes: err = %v", pos, err)
		}
	}
}

func TestDecrypterLengthTampering(t *testing.T) {
	key, iv := testKey(6), testIV(6)
	for _, size := range []int{0, 1, 17, 100, 64<<10 + 5} {
		pt := testData(uint64(size), size)
		stored := seal(t, key, iv, pt)
		for cut := 1; cut <= 17 && cut <= len(stored); cut++ {
			short := stored[:len(stored)-cut]
			// Body shorter than the recorded length.
			r, _ := NewDecrypter(key, iv, bytes.NewReader(short), int64(len(stored)))
			expectAuthFailure(t, fmt.Sprintf("size %d truncated by %d", size, cut), r, size)
			// Recorded length matches the truncated body.
			if len(short) >= TagSize {
				r, _ = NewDecrypter(key, iv, bytes.NewReader(short), int64(len(short)))
				expectAuthFailure(t, fmt.Sprintf("size %d truncated by %d, consistent length", size, cut), r, len(short)-TagSize)
			}
		}
		long := append(bytes.Clone(stored), 0)
		r, _ := NewDecrypter(key, iv, bytes.NewReader(long), int64(len(stored)))
		expectAuthFailure(t, fmt.Sprintf("size %d extra byte", size), r, size)
		r, _ = NewDecrypter(key, iv, bytes.NewReader(long), int64(len(long)))
		expectAuthFailure(t, fmt.Sprintf("size %d extra byte, consistent length", size), r, size+1)
	}
}

func TestDecrypterWrongKeyOrIV(t *testing.T) {
	key, iv := testKey(7), testIV(7)
	pt := testData(7, 5000)
	stored := seal(t, key, iv, pt)
	otherKey := bytes.Clone(key)
	otherKey[31] ^= 1
	otherIV := bytes.Clone(iv)
	otherIV[0] ^= 1
	for name, kv := range map[string][2][]byte{"key": {otherKey, iv}, "iv": {key, otherIV}} {
		r, err := NewDecrypter(kv[0], kv[1], bytes.NewReader(stored), int64(len(stored)))
		if err != nil {
			t.Fatal(err)
		}
		expectAuthFailure(t, "wrong "+name, r, len(pt))
	}
}

var errNet = errors.New("connection reset")

func TestDecrypterSourceErrors(t *testing.T) {
	key, iv := testKey(8), testIV(8)
	pt := testData(8, 1000)
	stored := seal(t, key, iv, pt)
	for _, at := range []int{0, 500, 1000, 1008, 1016} {
		src := io.MultiReader(bytes.NewReader(stored[:at]), iotest.ErrReader(errNet))
		r, _ := NewDecrypter(key, iv, src, int64(len(stored)))
		_, err := readAllChecked(r, 100)
		if !errors.Is(err, errNet) || isAuth(err) {
			t.Fatalf("error at %d: got %v, want the source error (not ErrAuth)", at, err)
		}
		// Sticky.
		if _, err2 := r.Read(make([]byte, 10)); !errors.Is(err2, errNet) {
			t.Fatalf("second read: %v", err2)
		}
	}
}

// zeroReader always returns (0, nil).
type zeroReader struct{}

func (zeroReader) Read([]byte) (int, error) { return 0, nil }

func TestDecrypterNoProgress(t *testing.T) {
	r, _ := NewDecrypter(testKey(1), testIV(1), zeroReader{}, 100)
	if _, err := readAllChecked(r, 10); !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("err = %v", err)
	}
	r, _ = NewDecrypter(testKey(1), testIV(1), zeroReader{}, 16)
	if _, err := readAllChecked(r, 10); err == io.EOF || err == nil {
		t.Fatalf("err = %v", err)
	}
}

// TestPipeline streams plaintext through an Encrypter into a Decrypter over
// an io.Pipe with neither side holding the whole message.
func TestPipeline(t *testing.T) {
	key, iv := testKey(9), testIV(9)
	const total = 5<<20 + 3
	pattern := testData(9, 10007)
	pr, pw := io.Pipe()
	go func() {
		e, err := NewEncrypter(key, iv, pw)
		if err != nil {
			pw.CloseWithError(err)
			return
		}
		for left := total; left > 0; {
			k := min(left, len(pattern))
			if _, err := e.Write(pattern[:k]); err != nil {
				pw.CloseWithError(err)
				return
			}
			left -= k
		}
		pw.CloseWithError(e.Close())
	}()
	r, err := NewDecrypter(key, iv, pr, total+TagSize)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(pattern))
	got := 0
	for {
		n, err := io.ReadFull(r, buf)
		if !bytes.Equal(buf[:n], pattern[:n]) {
			t.Fatalf("plaintext wrong at %d", got)
		}
		got += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != total {
		t.Fatalf("got %d bytes, want %d", got, total)
	}
}
