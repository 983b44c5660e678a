package providertest

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

// keyEncodings are the spellings of a key the suite looks for.
func keyEncodings(key []byte) map[string][]byte {
	return map[string][]byte{
		"raw":           key,
		"hex":           []byte(hex.EncodeToString(key)),
		"HEX":           []byte(strings.ToUpper(hex.EncodeToString(key))),
		"base64":        []byte(base64.RawStdEncoding.EncodeToString(key)),
		"base64url":     []byte(base64.RawURLEncoding.EncodeToString(key)),
		"base64 padded": []byte(base64.StdEncoding.EncodeToString(key)),
	}
}

// findKey returns the encoding under which key occurs in hay, or "".
// Base64 is matched without padding (which covers the padded forms).
func findKey(hay, key []byte) string {
	for name, enc := range keyEncodings(key) {
		if name == "base64 padded" {
			continue
		}
		if bytes.Contains(hay, enc) {
			return name
		}
	}
	return ""
}

// testKeysNotStored stores objects and checks that no plaintext data key the
// provider obtained appears in their stored bytes, metadata or instruction
// files. It needs Harness.Keys; without it, it checks that the provider is
// not an encrypting one (which must expose its keys to the suite).
func testKeysNotStored(t *testing.T, s *suite) {
	if s.h.Keys == nil {
		if s.h.Encrypting {
			t.Fatal("an Encrypting harness must set Keys")
		}
		if st := s.put(t, "keys/none", plaintext(10)); len(st.Upload.Metadata) != 0 || st.Upload.Instruction != nil {
			t.Errorf("provider without keys stores crypto metadata %v / instruction file", st.Upload.Metadata)
		}
		return
	}
	sizes := []int{0, 1, Chunk + 1, PartSize + 3}
	var keys []string
	for _, size := range sizes {
		k := fmt.Sprintf("keys/%d", size)
		s.put(t, k, plaintext(size))
		keys = append(keys, k)
	}
	dataKeys := s.h.Keys()
	if s.h.Encrypting && len(dataKeys) == 0 {
		t.Fatalf("Keys() reports no data keys after %d encryptions", len(sizes))
	}
	for i, dk := range dataKeys {
		if len(dk) < 16 || bytes.Count(dk, dk[:1]) == len(dk) {
			t.Fatalf("Keys()[%d] is %d bytes of one value: the harness must record a copy before the provider zeroes it", i, len(dk))
		}
	}
	for _, key := range keys {
		body, err := raw(t.Context(), s.h.S3, s.h.Bucket, key)
		if err != nil {
			t.Fatal(err)
		}
		ins, err := instruction(t.Context(), s.h.S3, s.h.Bucket, key)
		if err != nil {
			t.Fatal(err)
		}
		md := s.head(t, key).Metadata
		for i, dk := range dataKeys {
			if enc := findKey(body, dk); enc != "" {
				t.Errorf("%s: stored bytes contain data key %d (%s)", key, i, enc)
			}
			if enc := findKey(ins, dk); enc != "" {
				t.Errorf("%s: instruction file contains data key %d (%s)", key, i, enc)
			}
			for mk, mv := range md {
				if enc := findKey([]byte(mk+"="+mv), dk); enc != "" {
					t.Errorf("%s: metadata %s contains data key %d (%s)", key, mk, i, enc)
				}
			}
		}
	}
}
