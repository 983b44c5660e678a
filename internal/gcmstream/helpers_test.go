package gcmstream

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

func testKey(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	k := make([]byte, 32)
	for i := range k {
		k[i] = byte(r.Uint32())
	}
	return k
}

func testIV(seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	iv := make([]byte, NonceSize)
	for i := range iv {
		iv[i] = byte(r.Uint32())
	}
	return iv
}

func testData(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 3))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func seal(t testing.TB, key, iv, pt []byte) []byte {
	t.Helper()
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	a, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	return a.Seal(nil, iv, pt, nil)
}

// splitReader returns the data in reads that stop at each given cut offset.
type splitReader struct {
	data []byte
	pos  int
	cuts []int // ascending absolute offsets
}

func (s *splitReader) Read(p []byte) (int, error) {
	if s.pos >= len(s.data) {
		return 0, io.EOF
	}
	end := len(s.data)
	for _, c := range s.cuts {
		if c > s.pos {
			end = min(end, c)
			break
		}
	}
	n := copy(p, s.data[s.pos:end])
	s.pos += n
	return n, nil
}

// readAllChecked reads r to the end with reads of size rs and reports the
// data, the terminal error, and whether a clean io.EOF was ever seen.
func readAllChecked(r io.Reader, rs int) ([]byte, error) {
	var out []byte
	buf := make([]byte, rs)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out, err
		}
	}
}

func encryptStream(t testing.TB, key, iv, pt []byte, ws int) []byte {
	t.Helper()
	var out bytes.Buffer
	e, err := NewEncrypter(key, iv, &out)
	if err != nil {
		t.Fatal(err)
	}
	for p := pt; len(p) > 0; {
		k := min(ws, len(p))
		n, err := e.Write(p[:k])
		if err != nil || n != k {
			t.Fatalf("Write: n=%d err=%v", n, err)
		}
		p = p[k:]
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if e.Written() != int64(len(pt)) {
		t.Fatalf("Written = %d, want %d", e.Written(), len(pt))
	}
	return out.Bytes()
}

func isAuth(err error) bool { return errors.Is(err, ErrAuth) }
