package providertest

import (
	"encoding/base64"
	"encoding/hex"
	"testing"
)

func TestAlterations(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"128", []string{"228", "138"}},
		{"AES/GCM/NoPadding", []string{"BES/GCM/NoPadding", "AES/GCM/NpPadding"}},
		{"{}", nil},
		{"z", []string{"a"}},
		{"9Z", []string{"0Z", "9A"}},
	}
	for _, tc := range tests {
		got := alterations(tc.in)
		if len(got) != len(tc.want) {
			t.Errorf("alterations(%q) = %q, want %q", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] || got[i] == tc.in {
				t.Errorf("alterations(%q) = %q, want %q", tc.in, got, tc.want)
			}
		}
	}
}

func TestRangeCasesInContract(t *testing.T) {
	for _, size := range []int64{0, 1, 17, 3*Chunk + 21, PartSize + 3} {
		cases := rangeCases(size)
		seenEnd, seenZero := false, false
		for _, c := range cases {
			if c.off < 0 || c.off > size || (c.n >= 0 && c.off+c.n > size) {
				t.Errorf("size %d: out-of-contract case %+v", size, c)
			}
			seenEnd = seenEnd || (c.off == size && c.n < 0)
			seenZero = seenZero || c.n == 0
		}
		if !seenEnd || !seenZero {
			t.Errorf("size %d: cases lack off=size,n<0 (%v) or n=0 (%v)", size, seenEnd, seenZero)
		}
	}
	if n := len(rangeCases(PartSize + 3)); n < 100 {
		t.Errorf("only %d range cases for a multipart object", n)
	}
}

func TestFindKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789ABCDEF")
	for name, enc := range keyEncodings(key) {
		hay := append([]byte(`{"x-amz-key-v2":"`), enc...)
		hay = append(hay, '"')
		if got := findKey(hay, key); got == "" {
			t.Errorf("key encoded as %s not found", name)
		}
	}
	if got := findKey([]byte(base64.StdEncoding.EncodeToString(key[1:])+hex.EncodeToString(key[:31])), key); got != "" {
		t.Errorf("found key as %s in a haystack that lacks it", got)
	}
}

func TestLeakedWindow(t *testing.T) {
	p := plaintext(100)
	if off := leakedWindow(append([]byte("xx"), p[40:60]...), p); off != 40 {
		t.Errorf("leakedWindow = %d, want 40", off)
	}
	if off := leakedWindow(plaintext(100), p[:15]); off != -1 {
		t.Errorf("a 15-byte plaintext has no 16-byte window; got %d", off)
	}
}
