package cse

import (
	"context"
	"errors"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

// FuzzParseEnvelope feeds hostile metadata and instruction files to the
// envelope parser and to Decode/PlainSize. They must never panic, never
// call the key service for an envelope they reject, and classify every
// rejection with an internal/errs sentinel.
func FuzzParseEnvelope(f *testing.F) {
	f.Add("AAAA", "", "AAAAAAAAAAAAAAAA", `{"kms_cmk_id":"x"}`, "kms", "AES/GCM/NoPadding", "128", "", []byte(nil), int64(32))
	f.Add("", "AAAA", "AAAAAAAAAAAAAAAAAAAAAA==", `{}`, "kms", "", "", "5", []byte(nil), int64(32))
	f.Add("AAAA", "", "AAAAAAAAAAAAAAAA", `{"aws:x-amz-cek-alg":"AES/GCM/NoPadding"}`, "kms+context", "AES/GCM/NoPadding", "128", "", []byte(nil), int64(15))
	f.Add("", "", "", "", "", "", "", "", []byte(`{"x-amz-key-v2":"AAAA","x-amz-iv":"AAAAAAAAAAAAAAAA","x-amz-matdesc":"{}","x-amz-wrap-alg":"kms","x-amz-cek-alg":"AES/GCM/NoPadding","x-amz-tag-len":128}`), int64(100))
	f.Add("", "", "", "", "", "", "", "", []byte(`{"x-amz-3":"AAAA"}`), int64(0))
	f.Fuzz(func(t *testing.T, k2, k1, iv, matdesc, wrap, cek, tagLen, plainLen string, instr []byte, size int64) {
		md := map[string]string{}
		for k, v := range map[string]string{MetaKeyV2: k2, MetaKeyV1: k1, MetaIV: iv, MetaMatDesc: matdesc,
			MetaWrapAlg: wrap, MetaCEKAlg: cek, MetaTagLen: tagLen, MetaPlainLen: plainLen} {
			if v != "" {
				md[k] = v
			}
		}
		if env, err := parseEnvelope(md); err == nil {
			if _, err := env.plainSize(size); err != nil && !errors.Is(err, errs.ErrIntegrity) {
				t.Fatalf("plainSize: unclassified %v", err)
			}
		} else if !errors.Is(err, errs.ErrIntegrity) && !errors.Is(err, errs.ErrUnsupportedAlgorithm) {
			t.Fatalf("unclassified %v", err)
		}
		if imd, err := parseInstruction(instr); err == nil {
			_, _ = parseEnvelope(imd)
		}

		fk := newFakeKMS(t)
		p := newKMSProvider(t, fk, "", "")
		s := stored{head: providers.Head{Size: size, Metadata: md}, src: &memSource{data: make([]byte, max(0, min(size, 1<<16))), instr: instr}}
		for _, r := range [][2]int64{{0, -1}, {3, 20}} {
			_, _ = decode(p, s, r[0], r[1])
		}
		_, _ = p.PlainSize(context.Background(), testObj, s.head, s.src)
		// Random bytes never form a wrapped key the fake accepts, so any
		// successful decode above would mean KMS accepted garbage.
		if fk.decs > 0 {
			fk.mu.Lock()
			defer fk.mu.Unlock()
			for _, k := range fk.handed {
				t.Fatalf("fake KMS unwrapped a fuzzed key (%d bytes)", len(k))
			}
		}
	})
}
