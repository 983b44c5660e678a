package cse

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/providers"
)

type v1Opts struct {
	withLen bool // x-amz-unencrypted-content-length
	withCEK bool // x-amz-cek-alg (very old V1 objects lack it)
	v2Key   bool // x-amz-key-v2 (S3EC-Java v1 EncryptionOnly with KMS)
}

// v1Object builds a legacy CBC object the way S3EC V1 clients did, with the
// standard library only.
func v1Object(t *testing.T, f *fakeKMS, plain []byte, o v1Opts) stored {
	t.Helper()
	matdesc := map[string]string{kmsCMKIDKey: fakeARN}
	dk, wrapped, err := f.GenerateDataKey(context.Background(), fakeARN, matdesc)
	if err != nil {
		t.Fatal(err)
	}
	iv := randBytes(t, 16)
	pad := 16 - len(plain)%16
	padded := append(bytes.Clone(plain), bytes.Repeat([]byte{byte(pad)}, pad)...)
	b, err := aes.NewCipher(dk)
	if err != nil {
		t.Fatal(err)
	}
	ct := make([]byte, len(padded))
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(ct, padded)
	md := map[string]string{
		MetaIV:      base64.StdEncoding.EncodeToString(iv),
		MetaMatDesc: `{"kms_cmk_id":"` + fakeARN + `"}`,
		MetaWrapAlg: WrapKMS,
	}
	keyHdr := MetaKeyV1
	if o.v2Key {
		keyHdr = MetaKeyV2
	}
	md[keyHdr] = base64.StdEncoding.EncodeToString(wrapped)
	if o.withCEK {
		md[MetaCEKAlg] = CEKAlgCBC
	}
	if o.withLen {
		md[MetaPlainLen] = strconv.Itoa(len(plain))
	}
	return stored{head: providers.Head{Size: int64(len(ct)), Metadata: md}, src: &memSource{data: ct}}
}

func TestCBCRead(t *testing.T) {
	for _, o := range []v1Opts{{true, true, false}, {false, true, false}, {false, false, false}, {true, false, false}, {false, true, true}} {
		t.Run(fmt.Sprintf("%+v", o), func(t *testing.T) {
			f := newFakeKMS(t)
			p := newLegacyKMSProvider(t, f, &auditRecorder{})
			for _, size := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100, 64 << 10, 64<<10 + 5, 150<<10 + 7} {
				plain := randBytes(t, size)
				s := v1Object(t, f, plain, o)
				ps, err := p.PlainSize(context.Background(), testObj, s.head, s.src)
				if err != nil || ps != int64(size) {
					t.Fatalf("size %d: PlainSize = %d, %v", size, ps, err)
				}
				L := int64(size)
				cases := [][2]int64{{0, -1}, {0, L}, {0, L + 100}, {0, 1}, {L, -1}, {L, 5}}
				for _, off := range []int64{1, 15, 16, 17, 32, L / 2, L - 17, L - 16, L - 15, L - 1} {
					for _, n := range []int64{-1, 1, 15, 16, 17, 40, L} {
						if off >= 0 {
							cases = append(cases, [2]int64{off, n})
						}
					}
				}
				for _, c := range cases {
					off, n := c[0], c[1]
					got, err := decode(p, s, off, n)
					if err != nil {
						t.Fatalf("size %d [%d,+%d): %v", size, off, n, err)
					}
					lo, hi := min(off, L), L
					if n >= 0 && off+n < L {
						hi = off + n
					}
					if !bytes.Equal(got, plain[lo:hi]) {
						t.Fatalf("size %d [%d,+%d): got %d bytes, want %d", size, off, n, len(got), hi-lo)
					}
				}
			}
		})
	}
}

// TestCBCKeysZeroed checks that decrypted CBC keys are zeroed.
func TestCBCKeysZeroed(t *testing.T) {
	f := newFakeKMS(t)
	p := newLegacyKMSProvider(t, f, &auditRecorder{})
	s := v1Object(t, f, []byte("legacy data"), v1Opts{withCEK: true})
	if _, err := decode(p, s, 0, -1); err != nil {
		t.Fatal(err)
	}
	if _, err := p.PlainSize(context.Background(), testObj, s.head, s.src); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.handed) != 3 {
		t.Fatalf("%d keys handed out, want 3", len(f.handed))
	}
	for i, k := range f.handed[1:] {
		if !bytes.Equal(k, make([]byte, 32)) {
			t.Errorf("decrypted key %d not zeroed", i)
		}
	}
}

func TestCBCBadPadding(t *testing.T) {
	f := newFakeKMS(t)
	p := newLegacyKMSProvider(t, f, &auditRecorder{})
	plain := randBytes(t, 40)
	for _, o := range []v1Opts{{withCEK: true}, {withCEK: true, withLen: true}} {
		s := v1Object(t, f, plain, o)
		// Flipping the second-to-last ciphertext block flips the same bit
		// of the last plaintext block: the pad byte.
		s.src.data = flip(s.src.data, len(s.src.data)-17)
		got, err := decode(p, s, 0, -1)
		if !errors.Is(err, errs.ErrIntegrity) {
			t.Fatalf("%+v: full read: %v, want ErrIntegrity", o, err)
		}
		if len(got) > 32 || !bytes.HasPrefix(plain, got) {
			t.Fatalf("%+v: %d bytes returned, beyond the untouched blocks", o, len(got))
		}
		if !o.withLen {
			if _, err := p.PlainSize(context.Background(), testObj, s.head, s.src); !errors.Is(err, errs.ErrIntegrity) {
				t.Fatalf("PlainSize: %v, want ErrIntegrity", err)
			}
		}
	}
	// Wrong length field, truncated object, impossible sizes.
	s := v1Object(t, f, plain, v1Opts{withCEK: true, withLen: true})
	bad := s
	bad.head.Metadata = maps.Clone(s.head.Metadata)
	bad.head.Metadata[MetaPlainLen] = "20"
	if _, err := decode(p, bad, 0, -1); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("length field outside the last block: %v", err)
	}
	bad.head.Metadata[MetaPlainLen] = "47"
	if _, err := decode(p, bad, 0, -1); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("length field inside the last block but wrong: %v", err)
	}
	short := s
	short.head.Size = 40
	if _, err := decode(p, short, 0, -1); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("size not a multiple of 16: %v", err)
	}
	trunc := s
	trunc.src = &memSource{data: s.src.data[:32]}
	if _, err := decode(p, trunc, 0, -1); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("truncated body: %v", err)
	}
}

func TestCheckPad(t *testing.T) {
	for pad := 0; pad <= 17; pad++ {
		blk := bytes.Repeat([]byte{0xAA}, 16)
		for i := 0; i < pad && i < 16; i++ {
			blk[15-i] = byte(pad)
		}
		want := pad
		if pad == 0 || pad > 16 {
			want = 0
		}
		if got := checkPad(blk); got != want {
			t.Errorf("pad %d: checkPad = %d, want %d", pad, got, want)
		}
	}
	blk := bytes.Repeat([]byte{4}, 16)
	blk[13] = 5
	if checkPad(blk) != 0 {
		t.Error("inconsistent padding accepted")
	}
}
