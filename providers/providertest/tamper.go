package providertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// forged is an encrypted object and what is needed to store altered copies.
type forged struct {
	key   string
	plain []byte
	body  []byte            // stored bytes
	md    map[string]string // stored user metadata (as HEAD reports it)
	ins   []byte            // instruction file, or nil
	sse   providers.SSE
}

// original stores plaintext of size bytes as key and captures it at rest.
func (s *suite) original(t *testing.T, key string, size int) *forged {
	t.Helper()
	want := plaintext(size)
	st := s.put(t, key, want)
	body, err := raw(t.Context(), s.h.S3, s.h.Bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	ins, err := instruction(t.Context(), s.h.S3, s.h.Bucket, key)
	if err != nil {
		t.Fatal(err)
	}
	return &forged{key: key, plain: want, body: body, md: s.head(t, key).Metadata, ins: ins, sse: st.Upload.SSE}
}

// store writes an altered copy as key (instruction file first).
func (s *suite) store(t *testing.T, key string, body []byte, md map[string]string, ins []byte, sse providers.SSE) {
	t.Helper()
	if ins != nil {
		if err := putRaw(t.Context(), s.h.S3, s.h.Bucket, key+providers.InstructionSuffix, ins, nil, providers.SSE{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := putRaw(t.Context(), s.h.S3, s.h.Bucket, key, body, md, sse); err != nil {
		t.Fatal(err)
	}
}

// mustFail reads key whole (n < 0, and n = plaintext length when given)
// and requires an integrity failure.
func (s *suite) mustFail(t *testing.T, key string, want []byte, lengths []int64, accept ...error) {
	t.Helper()
	for _, n := range lengths {
		got, err := s.get(t.Context(), key, 0, n)
		if err := failedClosed(got, err, want, accept...); err != nil {
			t.Errorf("Decode(0, %d) of %s: %v", n, key, err)
		}
	}
}

// mustFailOrBeExact is mustFail for an altered OpaqueFields field: a read
// may also succeed, with exactly the original plaintext.
func (s *suite) mustFailOrBeExact(t *testing.T, key string, want []byte, lengths []int64, accept ...error) {
	t.Helper()
	for _, n := range lengths {
		got, err := s.get(t.Context(), key, 0, n)
		if err == nil && bytes.Equal(got, want) {
			continue
		}
		if err := failedClosed(got, err, want, accept...); err != nil {
			t.Errorf("Decode(0, %d) of %s: %v", n, key, err)
		}
	}
}

// alteredCheck returns the check for an alteration of field k.
func (s *suite) alteredCheck(k string) func(*testing.T, string, []byte, []int64, ...error) {
	if slices.Contains(s.h.OpaqueFields, k) {
		return s.mustFailOrBeExact
	}
	return s.mustFail
}

// fullReads are the Decode lengths that cover a whole plaintext of size
// bytes: n < 0 and, unless it is the empty read, n = size.
func fullReads(size int) []int64 {
	if size == 0 {
		return []int64{-1}
	}
	return []int64{-1, int64(size)}
}

// testTamper flips one bit at each interesting stored offset.
func testTamper(t *testing.T, s *suite) {
	for _, size := range []int{0, 1, 2*Chunk + 100} {
		o := s.original(t, fmt.Sprintf("tamper/%d", size), size)
		L := len(o.body)
		var positions []int
		for _, p := range []int{0, 1, 15, 16, 17, Chunk - 1, Chunk, Chunk + 1, L / 2, L - 17, L - 16, L - 1} {
			if p >= 0 && p < L && !slices.Contains(positions, p) {
				positions = append(positions, p)
			}
		}
		for _, pos := range positions {
			t.Run(fmt.Sprintf("size=%d/flip=%d", size, pos), func(t *testing.T) {
				body := slices.Clone(o.body)
				body[pos] ^= 0x01
				key := fmt.Sprintf("%s-flip%d", o.key, pos)
				s.store(t, key, body, o.md, o.ins, o.sse)
				s.mustFail(t, key, o.plain, fullReads(size), integrityErrs()...)
			})
		}
	}
}

// testTruncate cuts the stored object short at each interesting length.
func testTruncate(t *testing.T, s *suite) {
	for _, size := range []int{0, 1, 2*Chunk + 100} {
		o := s.original(t, fmt.Sprintf("truncate/%d", size), size)
		L := len(o.body)
		var lengths []int
		for _, l := range []int{L - 1, L - 15, L - 16, L - 17, 2 * Chunk, Chunk, 17, 16, 15, 1, 0} {
			if l >= 0 && l < L && !slices.Contains(lengths, l) {
				lengths = append(lengths, l)
			}
		}
		for _, l := range lengths {
			t.Run(fmt.Sprintf("size=%d/keep=%d", size, l), func(t *testing.T) {
				key := fmt.Sprintf("%s-cut%d", o.key, l)
				s.store(t, key, o.body[:l], o.md, o.ins, o.sse)
				s.mustFail(t, key, o.plain, []int64{-1}, integrityErrs()...)
			})
		}
	}
}

// testAlterMetadata changes one character of each crypto metadata value
// (object metadata and instruction-file fields) in turn.
func testAlterMetadata(t *testing.T, s *suite) {
	o := s.original(t, "alter/obj", Chunk+33)
	accept := append(integrityErrs(), errs.ErrUnsupportedAlgorithm)
	altered := 0
	for _, k := range slices.Sorted(maps.Keys(o.md)) {
		for i, v := range alterations(o.md[k]) {
			altered++
			t.Run(fmt.Sprintf("metadata=%s/%d", k, i), func(t *testing.T) {
				md := maps.Clone(o.md)
				md[k] = v
				key := fmt.Sprintf("alter/md-%s-%d", k, i)
				s.store(t, key, o.body, md, o.ins, o.sse)
				s.alteredCheck(k)(t, key, o.plain, fullReads(len(o.plain)), accept...)
			})
		}
	}
	if o.ins != nil {
		var fields map[string]any
		if err := json.Unmarshal(o.ins, &fields); err != nil {
			t.Fatalf("instruction file is not a JSON object: %v", err)
		}
		for _, k := range slices.Sorted(maps.Keys(fields)) {
			str, ok := fields[k].(string)
			if !ok {
				continue
			}
			for i, v := range alterations(str) {
				altered++
				t.Run(fmt.Sprintf("instruction=%s/%d", k, i), func(t *testing.T) {
					f := maps.Clone(fields)
					f[k] = v
					ins, err := json.Marshal(f)
					if err != nil {
						t.Fatal(err)
					}
					key := fmt.Sprintf("alter/ins-%s-%d", k, i)
					s.store(t, key, o.body, o.md, ins, o.sse)
					s.alteredCheck(k)(t, key, o.plain, fullReads(len(o.plain)), accept...)
				})
			}
		}
	}
	if altered == 0 {
		t.Fatalf("Encrypting provider stored no alterable metadata (metadata %v, instruction file %d bytes)", slices.Sorted(maps.Keys(o.md)), len(o.ins))
	}
}

// alterations returns copies of v with one letter or digit changed: the
// first and the middle one. Values without letters or digits (e.g. "{}")
// have nothing a change of one character could keep well-formed.
func alterations(v string) []string {
	var idx []int
	for i := 0; i < len(v); i++ {
		if isAlnum(v[i]) {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	picks := []int{idx[0]}
	if m := idx[len(idx)/2]; m != idx[0] {
		picks = append(picks, m)
	}
	out := make([]string, 0, len(picks))
	for _, i := range picks {
		b := []byte(v)
		b[i] = nextAlnum(b[i])
		out = append(out, string(b))
	}
	return out
}

func isAlnum(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// nextAlnum returns the next character of c's class, cyclically.
func nextAlnum(c byte) byte {
	switch c {
	case '9':
		return '0'
	case 'z':
		return 'a'
	case 'Z':
		return 'A'
	}
	return c + 1
}
