package cse

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	iofs "io/fs"
	"log/slog"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/cache"
	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

var sizes = []int{0, 1, 15, 16, 17, 1000, 64<<10 - 1, 64 << 10, 64<<10 + 1, 200<<10 + 3}

func configs() []struct{ wrap, mode string } {
	return []struct{ wrap, mode string }{
		{WrapKMS, StorageObjectMetadata},
		{WrapKMSContext, StorageObjectMetadata},
		{WrapKMS, StorageInstructionFile},
		{WrapKMSContext, StorageInstructionFile},
	}
}

func TestKMSRoundTrip(t *testing.T) {
	for _, c := range configs() {
		t.Run(c.wrap+"/"+c.mode, func(t *testing.T) {
			f := newFakeKMS(t)
			p := newKMSProvider(t, f, c.wrap, c.mode)
			for _, size := range sizes {
				plain := randBytes(t, size)
				s := encode(t, p, plain)
				if s.head.Size != int64(size)+16 {
					t.Fatalf("size %d: stored %d bytes, want %d", size, s.head.Size, size+16)
				}
				got, err := decode(p, s, 0, -1)
				if err != nil {
					t.Fatalf("size %d: Decode: %v", size, err)
				}
				if !bytes.Equal(got, plain) {
					t.Fatalf("size %d: round trip mismatch", size)
				}
				ps, err := p.PlainSize(context.Background(), testObj, s.head, s.src)
				if err != nil || ps != int64(size) {
					t.Fatalf("size %d: PlainSize = %d, %v", size, ps, err)
				}
				if ls := p.ListedSize(s.head.Size); ls != int64(size) {
					t.Fatalf("size %d: ListedSize = %d", size, ls)
				}
			}
			if f.objects[0] != "bkt/dir/file" {
				t.Fatalf("KMS call not tagged with the object: %q", f.objects[0])
			}
		})
	}
}

func TestKMSListedSizeNeverNegative(t *testing.T) {
	p := newKMSProvider(t, newFakeKMS(t), "", "")
	for stored, want := range map[int64]int64{0: 0, 5: 0, 16: 0, 17: 1} {
		if got := p.ListedSize(stored); got != want {
			t.Errorf("ListedSize(%d) = %d, want %d", stored, got, want)
		}
	}
	if p.Name() != "cse-kms" || providers.CopySSE(p) != (providers.SSE{}) || providers.Confirm(p, providers.Upload{}, providers.SSE{Algorithm: "AES256"}) != nil {
		t.Fatal("Name/CopySSE/Confirm")
	}
}

// TestKMSEnvelopeFormat checks the stored envelope field by field and
// decrypts the body independently with the standard library.
func TestKMSEnvelopeFormat(t *testing.T) {
	for _, c := range configs() {
		t.Run(c.wrap+"/"+c.mode, func(t *testing.T) {
			f := newFakeKMS(t)
			p := newKMSProvider(t, f, c.wrap, c.mode)
			plain := []byte("hello, envelope")
			s := encode(t, p, plain)
			md := s.up.Metadata
			if c.mode == StorageInstructionFile {
				if len(md) != 0 {
					t.Fatalf("instruction mode stored object metadata %v", md)
				}
				var raw map[string]any
				if err := json.Unmarshal(s.up.Instruction, &raw); err != nil {
					t.Fatalf("instruction file is not JSON: %v", err)
				}
				md = map[string]string{}
				for k, v := range raw {
					sv, ok := v.(string)
					if !ok {
						t.Fatalf("instruction field %s is %T, want string", k, v)
					}
					md[k] = sv
				}
			} else if s.up.Instruction != nil {
				t.Fatal("header mode produced an instruction file")
			}
			wantKeys := []string{MetaCEKAlg, MetaIV, MetaKeyV2, MetaMatDesc, MetaTagLen, MetaWrapAlg}
			gotKeys := make([]string, 0, len(md))
			for k := range maps.Keys(md) {
				gotKeys = append(gotKeys, k)
			}
			if fmt.Sprint(sortStrings(gotKeys)) != fmt.Sprint(wantKeys) {
				t.Fatalf("envelope keys %v, want %v", sortStrings(gotKeys), wantKeys)
			}
			wantMatdesc := `{"kms_cmk_id":"` + fakeARN + `"}`
			if c.wrap == WrapKMSContext {
				wantMatdesc = `{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}`
			}
			for k, want := range map[string]string{MetaCEKAlg: "AES/GCM/NoPadding", MetaWrapAlg: c.wrap, MetaTagLen: "128", MetaMatDesc: wantMatdesc} {
				if md[k] != want {
					t.Errorf("%s = %q, want %q", k, md[k], want)
				}
			}
			if got := fmt.Sprint(f.lastCtx); got != fmt.Sprint(mustJSONMap(t, wantMatdesc)) {
				t.Errorf("GenerateDataKey context %s, want matdesc %s", got, wantMatdesc)
			}
			iv, err := base64.StdEncoding.DecodeString(md[MetaIV])
			if err != nil || len(iv) != 12 {
				t.Fatalf("IV %q: %d bytes, %v", md[MetaIV], len(iv), err)
			}
			// Independent decryption: the KMS handed out exactly one key.
			if len(f.copies) != 1 {
				t.Fatalf("KMS handed out %d keys", len(f.copies))
			}
			b, _ := aes.NewCipher(f.copies[0])
			g, _ := cipher.NewGCM(b)
			got, err := g.Open(nil, iv, s.src.data, nil)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("stdlib AES-GCM Open: %q, %v", got, err)
			}
		})
	}
}

func mustJSONMap(t *testing.T, s string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestKMSRanges(t *testing.T) {
	for _, wrap := range []string{WrapKMS, WrapKMSContext} {
		f := newFakeKMS(t)
		p := newKMSProvider(t, f, wrap, "")
		for _, size := range []int{0, 1, 16, 33, 64<<10 + 17} {
			plain := randBytes(t, size)
			s := encode(t, p, plain)
			L := int64(size)
			cases := [][2]int64{{0, -1}, {0, 0}, {0, 1}, {0, L}, {0, L + 10}, {1, -1}, {L, -1}, {L + 5, 3}}
			for _, off := range []int64{1, 15, 16, 17, 31, 32, L / 2, L - 1, L - 16} {
				for _, n := range []int64{1, 15, 16, 17, 100, -1} {
					if off >= 0 {
						cases = append(cases, [2]int64{off, n})
					}
				}
			}
			for _, c := range cases {
				off, n := c[0], c[1]
				got, err := decode(p, s, off, n)
				if err != nil {
					t.Fatalf("%s size %d [%d,+%d): %v", wrap, size, off, n, err)
				}
				lo := min(off, L)
				hi := L
				if n >= 0 && off+n < L {
					hi = off + n
				}
				if !bytes.Equal(got, plain[lo:hi]) {
					t.Fatalf("%s size %d [%d,+%d): got %d bytes, want %d", wrap, size, off, n, len(got), hi-lo)
				}
			}
		}
	}
	// A ranged read fetches only the blocks it needs.
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, "", "")
	s := encode(t, p, randBytes(t, 1000))
	if _, err := decode(p, s, 100, 10); err != nil {
		t.Fatal(err)
	}
	if r := s.src.ranges[len(s.src.ranges)-1]; r != [2]int64{96, 14} {
		t.Fatalf("ranged read fetched stored range %v, want [96,+14)", r)
	}
	if _, err := decode(p, s, -1, 10); !errors.Is(err, iofs.ErrInvalid) {
		t.Fatalf("negative offset: %v", err)
	}
}

// validHeader returns the metadata of a fresh object (wrap kms) and its
// provider, fake KMS and source.
func validObject(t *testing.T, wrap string) (*Provider, *fakeKMS, stored) {
	t.Helper()
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, wrap, "")
	s := encode(t, p, []byte("some secret plaintext bytes here"))
	return p, f, s
}

func TestKMSMalformedEnvelope(t *testing.T) {
	b64 := base64.StdEncoding.EncodeToString
	type mut func(md map[string]string)
	cases := []struct {
		name string
		wrap string
		mut  mut
		want error
	}{
		{"missing key", WrapKMS, func(md map[string]string) { delete(md, MetaKeyV2) }, errs.ErrIntegrity},
		{"empty key", WrapKMS, func(md map[string]string) { md[MetaKeyV2] = "" }, errs.ErrIntegrity},
		{"bad base64 key", WrapKMS, func(md map[string]string) { md[MetaKeyV2] = "!!not base64!!" }, errs.ErrIntegrity},
		{"huge key", WrapKMS, func(md map[string]string) { md[MetaKeyV2] = strings.Repeat("A", 20000) }, errs.ErrIntegrity},
		{"missing iv", WrapKMS, func(md map[string]string) { delete(md, MetaIV) }, errs.ErrIntegrity},
		{"bad base64 iv", WrapKMS, func(md map[string]string) { md[MetaIV] = "***" }, errs.ErrIntegrity},
		{"iv 11 bytes", WrapKMS, func(md map[string]string) { md[MetaIV] = b64(make([]byte, 11)) }, errs.ErrIntegrity},
		{"iv 16 bytes for GCM", WrapKMS, func(md map[string]string) { md[MetaIV] = b64(make([]byte, 16)) }, errs.ErrIntegrity},
		{"iv 12 bytes for CBC", WrapKMS, func(md map[string]string) { md[MetaCEKAlg] = CEKAlgCBC; delete(md, MetaTagLen) }, errs.ErrIntegrity},
		{"missing cek-alg", WrapKMS, func(md map[string]string) { delete(md, MetaCEKAlg) }, errs.ErrIntegrity},
		{"unknown cek-alg", WrapKMS, func(md map[string]string) { md[MetaCEKAlg] = "AES/CTR/NoPadding" }, errs.ErrUnsupportedAlgorithm},
		{"missing wrap-alg", WrapKMS, func(md map[string]string) { delete(md, MetaWrapAlg) }, errs.ErrIntegrity},
		{"unknown wrap-alg", WrapKMS, func(md map[string]string) { md[MetaWrapAlg] = "rot13" }, errs.ErrUnsupportedAlgorithm},
		{"wrap-alg for cse-custom", WrapKMS, func(md map[string]string) { md[MetaWrapAlg] = WrapAESGCM }, errs.ErrUnsupportedAlgorithm},
		{"tag-len 96", WrapKMS, func(md map[string]string) { md[MetaTagLen] = "96" }, errs.ErrUnsupportedAlgorithm},
		{"tag-len garbage", WrapKMS, func(md map[string]string) { md[MetaTagLen] = "x" }, errs.ErrUnsupportedAlgorithm},
		{"matdesc not JSON", WrapKMS, func(md map[string]string) { md[MetaMatDesc] = "{kms_cmk_id:" }, errs.ErrIntegrity},
		{"matdesc array", WrapKMS, func(md map[string]string) { md[MetaMatDesc] = `["a"]` }, errs.ErrIntegrity},
		{"matdesc number value", WrapKMS, func(md map[string]string) { md[MetaMatDesc] = `{"a":1}` }, errs.ErrIntegrity},
		{"matdesc null", WrapKMS, func(md map[string]string) { md[MetaMatDesc] = `null` }, errs.ErrIntegrity},
		{"kms+context lacks cek-alg", WrapKMSContext, func(md map[string]string) { md[MetaMatDesc] = `{"a":"b"}` }, errs.ErrIntegrity},
		{"kms+context cek-alg mismatch", WrapKMSContext, func(md map[string]string) {
			md[MetaMatDesc] = `{"aws:x-amz-cek-alg":"AES/CBC/PKCS5Padding"}`
		}, errs.ErrIntegrity},
		{"both key headers", WrapKMS, func(md map[string]string) { md[MetaKeyV1] = md[MetaKeyV2] }, errs.ErrIntegrity},
		{"v3 x-amz-3", WrapKMS, func(md map[string]string) { md["x-amz-3"] = md[MetaKeyV2]; delete(md, MetaKeyV2) }, errs.ErrUnsupportedAlgorithm},
		{"v3 x-amz-c beside v2", WrapKMS, func(md map[string]string) { md["x-amz-c"] = "115" }, errs.ErrUnsupportedAlgorithm},
		{"v3 only x-amz-c", WrapKMS, func(md map[string]string) { clear(md); md["x-amz-c"] = "115" }, errs.ErrUnsupportedAlgorithm},
		{"bad plaintext length", WrapKMS, func(md map[string]string) { md[MetaPlainLen] = "-5" }, errs.ErrIntegrity},
		{"v1 without wrap-alg", WrapKMS, func(md map[string]string) { // legacy, and legacy reads are off
			md[MetaKeyV1] = md[MetaKeyV2]
			delete(md, MetaKeyV2)
			delete(md, MetaWrapAlg)
		}, errs.ErrIntegrity},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, f, s := validObject(t, c.wrap)
			md := maps.Clone(s.head.Metadata)
			c.mut(md)
			s.head.Metadata = md
			g0, d0 := f.calls()
			_, err := decode(p, s, 0, -1)
			if !errors.Is(err, c.want) {
				t.Fatalf("Decode: %v, want %v", err, c.want)
			}
			_, err2 := p.PlainSize(context.Background(), testObj, s.head, s.src)
			if !errors.Is(err2, c.want) {
				t.Fatalf("PlainSize: %v, want %v", err2, c.want)
			}
			if g, d := f.calls(); g != g0 || d != d0 {
				t.Fatalf("KMS called for a malformed envelope (%d/%d generate, %d/%d decrypt)", g, g0, d, d0)
			}
			if n := s.src.rangeCalls(); n != 0 {
				t.Fatalf("object body fetched %d times for a malformed envelope", n)
			}
			t.Logf("%v", err) // the message is part of the contract: clear and key-free
		})
	}
}

func TestKMSMalformedInstruction(t *testing.T) {
	for name, body := range map[string]string{
		"not json":    "nope",
		"json array":  "[]",
		"json null":   "null",
		"object val":  `{"x-amz-key-v2":{"a":1}}`,
		"no key":      `{"x-amz-iv":"AAAAAAAAAAAAAAAA"}`,
		"huge":        `{"x":"` + strings.Repeat("a", 70000) + `"}`,
		"bool tagLen": `{"x-amz-tag-len":true}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakeKMS(t)
			p := newKMSProvider(t, f, "", StorageInstructionFile)
			s := encode(t, p, []byte("x"))
			s.src.instr = []byte(body)
			if _, err := decode(p, s, 0, -1); !errors.Is(err, errs.ErrIntegrity) {
				t.Fatalf("Decode: %v, want ErrIntegrity", err)
			}
			if _, d := f.calls(); d != 0 {
				t.Fatal("KMS called for a malformed instruction file")
			}
		})
	}
	// Numbers are accepted for the length fields, as aws-sdk-go v1 does.
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, "", StorageInstructionFile)
	s := encode(t, p, []byte("numbers"))
	var raw map[string]any
	if err := json.Unmarshal(s.src.instr, &raw); err != nil {
		t.Fatal(err)
	}
	raw[MetaTagLen] = 128
	raw[MetaPlainLen] = 7
	s.src.instr, _ = json.Marshal(raw)
	if got, err := decode(p, s, 0, -1); err != nil || string(got) != "numbers" {
		t.Fatalf("numeric fields: %q, %v", got, err)
	}
}

func TestKMSNoEnvelope(t *testing.T) {
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, "", "")
	s := stored{head: providers.Head{Size: 20, Metadata: map[string]string{"owner": "x"}}, src: &memSource{data: make([]byte, 20)}}
	if _, err := decode(p, s, 0, -1); !errors.Is(err, errs.ErrNotEncrypted) {
		t.Fatalf("plain object: %v, want ErrNotEncrypted", err)
	}
	if s.src.instrGet != 1 {
		t.Fatalf("instruction file looked up %d times", s.src.instrGet)
	}
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 0x01
	return c
}

func TestKMSTamper(t *testing.T) {
	b64 := base64.StdEncoding
	for _, wrap := range []string{WrapKMS, WrapKMSContext} {
		plain := randBytes(t, 5000)
		cases := []struct {
			name string
			mut  func(s *stored)
			want error
		}{
			{"body byte", func(s *stored) { s.src.data = flip(s.src.data, 2500) }, errs.ErrIntegrity},
			{"first byte", func(s *stored) { s.src.data = flip(s.src.data, 0) }, errs.ErrIntegrity},
			{"tag", func(s *stored) { s.src.data = flip(s.src.data, len(s.src.data)-1) }, errs.ErrIntegrity},
			{"truncated", func(s *stored) { s.src.data = s.src.data[:len(s.src.data)-1]; s.head.Size-- }, errs.ErrIntegrity},
			{"extended", func(s *stored) { s.src.data = append(bytes.Clone(s.src.data), 0); s.head.Size++ }, errs.ErrIntegrity},
			{"short body, size kept", func(s *stored) { s.src.data = s.src.data[:100] }, errs.ErrIntegrity},
			{"iv", func(s *stored) {
				iv, _ := b64.DecodeString(s.head.Metadata[MetaIV])
				s.head.Metadata[MetaIV] = b64.EncodeToString(flip(iv, 3))
			}, errs.ErrIntegrity},
			{"wrapped key", func(s *stored) {
				w, _ := b64.DecodeString(s.head.Metadata[MetaKeyV2])
				s.head.Metadata[MetaKeyV2] = b64.EncodeToString(flip(w, len(w)/2))
			}, errs.ErrKeyMismatch},
			{"matdesc value", func(s *stored) {
				var m map[string]string
				_ = json.Unmarshal([]byte(s.head.Metadata[MetaMatDesc]), &m)
				m["extra"] = "entry"
				b, _ := json.Marshal(m)
				s.head.Metadata[MetaMatDesc] = string(b)
			}, errs.ErrKeyMismatch},
		}
		if wrap == WrapKMS {
			cases = append(cases, struct {
				name string
				mut  func(s *stored)
				want error
			}{"kms_cmk_id", func(s *stored) {
				s.head.Metadata[MetaMatDesc] = `{"kms_cmk_id":"arn:aws:kms:us-east-1:111122223333:key/other"}`
			}, errs.ErrKeyMismatch})
		}
		for _, c := range cases {
			t.Run(wrap+"/"+c.name, func(t *testing.T) {
				f := newFakeKMS(t)
				p := newKMSProvider(t, f, wrap, "")
				s := encode(t, p, plain)
				s.head.Metadata = maps.Clone(s.head.Metadata)
				c.mut(&s)
				got, err := decode(p, s, 0, -1)
				if !errors.Is(err, c.want) {
					t.Fatalf("full read: %v, want %v", err, c.want)
				}
				// No bytes at all: the object fits one authentication chunk,
				// so nothing is released before the tag is checked.
				if len(got) != 0 {
					t.Fatalf("%d bytes returned from a tampered object", len(got))
				}
			})
		}
	}
}

// TestKMSTamperLarge: beyond one 64 KiB chunk, earlier chunks are released
// unauthenticated, but the read never ends cleanly.
func TestKMSTamperLarge(t *testing.T) {
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, "", "")
	plain := randBytes(t, 300<<10)
	s := encode(t, p, plain)
	for _, pos := range []int{0, 100 << 10, 300<<10 - 1, 300<<10 + 15} {
		t2 := s
		t2.src = &memSource{data: flip(s.src.data, pos)}
		got, err := decode(p, t2, 0, -1)
		if !errors.Is(err, errs.ErrIntegrity) {
			t.Fatalf("flip at %d: %v, want ErrIntegrity", pos, err)
		}
		if len(got) > len(plain)-1 || len(got)%(64<<10) != 0 {
			t.Fatalf("flip at %d: %d bytes released, want whole chunks short of the end", pos, len(got))
		}
		if pos > len(got) && !bytes.Equal(got, plain[:len(got)]) {
			t.Fatalf("flip at %d: released bytes before the flip differ", pos)
		}
	}
}

func TestKMSErrorsCarryNoKey(t *testing.T) {
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, "", "")
	s := encode(t, p, []byte("data"))
	s.src.data = flip(s.src.data, 0)
	_, err := decode(p, s, 0, -1)
	if err == nil {
		t.Fatal("no error")
	}
	assertNoKey(t, f, "error", []byte(err.Error()))
}

// assertNoKey fails if blob contains any key the fake KMS handed out, raw,
// base64 or hex.
func assertNoKey(t *testing.T, f *fakeKMS, what string, blob []byte) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.copies) == 0 {
		t.Fatal("fake KMS handed out no keys")
	}
	for _, k := range f.copies {
		for form, enc := range map[string][]byte{
			"raw":       k,
			"base64":    []byte(base64.StdEncoding.EncodeToString(k)),
			"base64url": []byte(base64.RawURLEncoding.EncodeToString(k)),
			"hex":       []byte(hex.EncodeToString(k)),
			"HEX":       []byte(strings.ToUpper(hex.EncodeToString(k))),
		} {
			if bytes.Contains(blob, enc) {
				t.Fatalf("%s contains a plaintext data key (%s)", what, form)
			}
		}
	}
}

func TestKMSKeyHygiene(t *testing.T) {
	for _, c := range configs() {
		t.Run(c.wrap+"/"+c.mode, func(t *testing.T) {
			f := newFakeKMS(t)
			p := newKMSProvider(t, f, c.wrap, c.mode)
			s := encode(t, p, bytes.Repeat([]byte("A"), 4096))
			if _, err := decode(p, s, 0, -1); err != nil {
				t.Fatal(err)
			}
			if _, err := decode(p, s, 10, 100); err != nil {
				t.Fatal(err)
			}
			f.mu.Lock()
			for i, k := range f.handed {
				if !bytes.Equal(k, make([]byte, len(k))) {
					t.Errorf("plaintext key %d handed out by KMS was not zeroed", i)
				}
			}
			if len(f.handed) != 3 {
				t.Errorf("KMS handed out %d keys, want 3 (1 generate + 2 decrypt)", len(f.handed))
			}
			f.mu.Unlock()
			assertNoKey(t, f, "stored object", s.src.data)
			mdJSON, _ := json.Marshal(s.up.Metadata)
			assertNoKey(t, f, "object metadata", mdJSON)
			assertNoKey(t, f, "instruction file", s.up.Instruction)
		})
	}
}

func TestDataKeyRedacted(t *testing.T) {
	k := dataKey{0xde, 0xad, 0xbe, 0xef}
	var logs bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: noTime})).Info("x", "key", k)
	for _, s := range []string{
		fmt.Sprintf("%v", k), fmt.Sprintf("%s", k), fmt.Sprintf("%#v", k), fmt.Sprintf("%x", k),
		fmt.Sprintf("%X", k), fmt.Sprintf("%d", k), fmt.Sprint(k), fmt.Sprintf("%+v", struct{ K dataKey }{k}),
		logs.String(),
	} {
		if !strings.Contains(s, "[REDACTED]") || strings.Contains(strings.ToLower(s), "dead") || strings.Contains(s, "222") {
			t.Errorf("key formatted as %q", s)
		}
	}
	k.zero()
	if !bytes.Equal(k, make([]byte, 4)) {
		t.Fatal("zero did not clear the key")
	}
}

func TestKMSCache(t *testing.T) {
	c, err := cache.New(cache.Options{MaxEntries: 10, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	f := newFakeKMS(t)
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, Cache: c})
	if err != nil {
		t.Fatal(err)
	}
	plain := randBytes(t, 3000)
	s := encode(t, p, plain)
	for i := range 3 {
		got, err := decode(p, s, int64(i), -1)
		if err != nil || !bytes.Equal(got, plain[i:]) {
			t.Fatalf("read %d: %v", i, err)
		}
	}
	if _, d := f.calls(); d != 1 {
		t.Fatalf("%d KMS Decrypt calls for 3 reads of one object through the cache, want 1", d)
	}
	// A tampered context must not be served from the cache.
	s.head.Metadata = maps.Clone(s.head.Metadata)
	s.head.Metadata[MetaMatDesc] = `{"kms_cmk_id":"` + fakeARN + `","x":"y"}`
	if _, err := decode(p, s, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("tampered matdesc through the cache: %v", err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, k := range f.handed[1:] { // [0] is the generate key, zeroed by Encode
		if !bytes.Equal(k, make([]byte, len(k))) {
			t.Errorf("decrypted key %d not zeroed (the cache keeps sealed copies only)", i)
		}
	}
	if !bytes.Equal(f.handed[0], make([]byte, 32)) {
		t.Error("generated key not zeroed")
	}
}

func TestKMSOptions(t *testing.T) {
	f := newFakeKMS(t)
	for name, o := range map[string]KMSOptions{
		"no kms":         {KeyID: "k", KeyARN: fakeARN},
		"no key":         {KMS: f},
		"aws/s3 alias":   {KMS: f, KeyID: "alias/aws/s3", KeyARN: fakeARN},
		"aws/s3 arn":     {KMS: f, KeyID: "arn:aws:kms:us-east-1:111122223333:alias/aws/s3", KeyARN: fakeARN},
		"bad wrap":       {KMS: f, KeyID: "k", KeyARN: fakeARN, WrapAlg: "AES/GCM"},
		"bad mode":       {KMS: f, KeyID: "k", KeyARN: fakeARN, StorageMode: "Sidecar"},
		"kms needs arn":  {KMS: f, KeyID: "k"},
		"explicit kms ":  {KMS: f, KeyID: "k", WrapAlg: WrapKMS},
		"kms+ctx casing": {KMS: f, KeyID: "k", KeyARN: fakeARN, WrapAlg: "KMS+Context"},
	} {
		if _, err := NewKMS(o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := NewKMS(KMSOptions{KMS: f, KeyID: "k", WrapAlg: WrapKMSContext, StorageMode: "instructionfile"}); err != nil {
		t.Errorf("kms+context without ARN, lower-case mode: %v", err)
	}
}

func TestKMSRandFailure(t *testing.T) {
	f := newFakeKMS(t)
	p, err := NewKMS(KMSOptions{KMS: f, KeyID: "k", KeyARN: fakeARN, Rand: errReader{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Encode(context.Background(), testObj, &bytes.Buffer{}); err == nil {
		t.Fatal("Encode succeeded without randomness")
	}
	if g, _ := f.calls(); g != 0 {
		t.Fatal("a data key was generated although no IV could be drawn")
	}
}

func TestKMSGenerateFailure(t *testing.T) {
	p, err := NewKMS(KMSOptions{KMS: failingKMS{}, KeyID: "k", KeyARN: fakeARN})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Encode(context.Background(), testObj, &bytes.Buffer{}); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("unclassified KMS failure: %v, want ErrKeyUnavailable", err)
	}
}

type failingKMS struct{}

func (failingKMS) GenerateDataKey(context.Context, string, map[string]string) ([]byte, []byte, error) {
	return nil, nil, errors.New("connection refused")
}

func (failingKMS) Decrypt(context.Context, string, []byte, map[string]string) ([]byte, error) {
	return nil, errors.New("connection refused")
}
