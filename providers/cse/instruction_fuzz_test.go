package cse

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// FuzzParseInstruction feeds hostile instruction files (KEY.instruction,
// fs.s3.cse.cryptoStorageMode=InstructionFile) to the parser and to a read
// of an object whose envelope lives there. The parser must classify every
// rejection as an integrity error, return lower-case keys, and round-trip
// through instructionJSON; the read must never unwrap a key from a fuzzed
// envelope or panic.
func FuzzParseInstruction(f *testing.F) {
	f.Add([]byte(`{"x-amz-key-v2":"AAAA","x-amz-iv":"AAAAAAAAAAAAAAAA","x-amz-matdesc":"{\"kms_cmk_id\":\"x\"}","x-amz-wrap-alg":"kms","x-amz-cek-alg":"AES/GCM/NoPadding","x-amz-tag-len":"128"}`), int64(64))
	f.Add([]byte(`{"X-Amz-Key-V2":"AAAA","x-amz-iv":"AAAAAAAAAAAAAAAA","x-amz-matdesc":"{}","x-amz-wrap-alg":"kms+context","x-amz-cek-alg":"AES/GCM/NoPadding","x-amz-tag-len":128}`), int64(16))
	f.Add([]byte(`{"x-amz-key":"AAAA","x-amz-iv":"AAAAAAAAAAAAAAAAAAAAAA==","x-amz-matdesc":"{}","x-amz-unencrypted-content-length":5}`), int64(16))
	f.Add([]byte(`{"x-amz-3":"AAAA","x-amz-c":"115","x-amz-w":"12"}`), int64(40))
	f.Add([]byte(`{"x-amz-iv":null,"a":1e400}`), int64(0))
	f.Add([]byte(`[1,2]`), int64(0))
	f.Add([]byte(`"x"`), int64(0))
	f.Add([]byte(`{"a":{"b":1}}`), int64(0))
	f.Fuzz(func(t *testing.T, body []byte, size int64) {
		md, err := parseInstruction(body)
		if err != nil {
			if !errors.Is(err, errs.ErrIntegrity) {
				t.Fatalf("unclassified %v", err)
			}
		} else {
			for k := range md {
				if k != strings.ToLower(k) {
					t.Fatalf("key %q not lower-cased", k)
				}
			}
			again, err := instructionJSON(md)
			if err != nil {
				t.Fatal(err)
			}
			back, err := parseInstruction(again)
			if err != nil && len(again) <= maxInstructionSize {
				t.Fatalf("re-encoded instruction file refused: %v", err)
			}
			if err == nil && !maps.Equal(back, md) {
				t.Fatalf("round trip: %v != %v", back, md)
			}
			if _, err := parseEnvelope(md); err != nil && !errors.Is(err, errs.ErrIntegrity) && !errors.Is(err, errs.ErrUnsupportedAlgorithm) {
				t.Fatalf("envelope from instruction file: unclassified %v", err)
			}
		}

		fk := newFakeKMS(t)
		p := newKMSProvider(t, fk, "", "")
		s := stored{head: providers.Head{Size: size}, src: &memSource{data: make([]byte, max(0, min(size, 1<<16))), instr: body}}
		for _, r := range [][2]int64{{0, -1}, {1, 8}} {
			_, _ = decode(p, s, r[0], r[1])
		}
		_, _ = p.PlainSize(context.Background(), testObj, s.head, s.src)
		fk.mu.Lock()
		defer fk.mu.Unlock()
		if len(fk.handed) > 0 {
			t.Fatalf("fake KMS unwrapped a key from a fuzzed instruction file")
		}
	})
}
