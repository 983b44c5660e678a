package cse

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
)

// writeKeyring writes a keyring file with the given KEKs and returns its path.
func writeKeyring(t *testing.T, dir, current string, keks map[string][]byte, mode os.FileMode) string {
	t.Helper()
	doc := map[string]any{"current": current, "keys": keks} // []byte marshals as base64
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "keyring-"+current+".json")
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // umask-proof
		t.Fatal(err)
	}
	return path
}

func newCustom(t *testing.T, path, mode string) *Provider {
	t.Helper()
	m, err := NewMaterials(KeyringFileName, map[string]string{"keyring.file": path})
	if err != nil {
		t.Fatalf("NewMaterials: %v", err)
	}
	p, err := NewCustom(CustomOptions{Materials: m, StorageMode: mode})
	if err != nil {
		t.Fatalf("NewCustom: %v", err)
	}
	return p
}

func TestCustomRoundTripAndFormat(t *testing.T) {
	dir := t.TempDir()
	kek := randBytes(t, 32)
	path := writeKeyring(t, dir, "k1", map[string][]byte{"k1": kek}, 0o600)
	for _, mode := range []string{StorageObjectMetadata, StorageInstructionFile} {
		p := newCustom(t, path, mode)
		if p.Name() != "cse-custom" {
			t.Fatal(p.Name())
		}
		for _, size := range []int{0, 1, 17, 70000} {
			plain := randBytes(t, size)
			s := encode(t, p, plain)
			got, err := decode(p, s, 0, -1)
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("%s size %d: %v", mode, size, err)
			}
			if size > 20 {
				if got, err := decode(p, s, 5, 10); err != nil || !bytes.Equal(got, plain[5:15]) {
					t.Fatalf("range: %v", err)
				}
			}
		}
		// Independent check of the S3EC AES/GCM wrap (S3EC-Java AesKeyring):
		// wrapped = nonce(12) || GCM(KEK, nonce, dataKey, AAD "AES/GCM/NoPadding").
		plain := []byte("custom materials")
		s := encode(t, p, plain)
		md := s.up.Metadata
		if mode == StorageInstructionFile {
			md = map[string]string{}
			if err := json.Unmarshal(s.up.Instruction, &md); err != nil {
				t.Fatal(err)
			}
		}
		if md[MetaWrapAlg] != "AES/GCM" || md[MetaMatDesc] != `{"keyring-key":"k1"}` || md[MetaCEKAlg] != CEKAlgGCM {
			t.Fatalf("envelope %v", md)
		}
		wrapped, _ := base64.StdEncoding.DecodeString(md[MetaKeyV2])
		if len(wrapped) != 12+32+16 {
			t.Fatalf("wrapped key is %d bytes, want 60", len(wrapped))
		}
		b, _ := aes.NewCipher(kek)
		g, _ := cipher.NewGCM(b)
		dk, err := g.Open(nil, wrapped[:12], wrapped[12:], []byte("AES/GCM/NoPadding"))
		if err != nil {
			t.Fatalf("stdlib unwrap: %v", err)
		}
		iv, _ := base64.StdEncoding.DecodeString(md[MetaIV])
		b2, _ := aes.NewCipher(dk)
		g2, _ := cipher.NewGCM(b2)
		if got, err := g2.Open(nil, iv, s.src.data, nil); err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("stdlib decrypt: %v", err)
		}
		for _, blob := range [][]byte{s.src.data, s.up.Instruction, []byte(strings.Join(mapValues(s.up.Metadata), " "))} {
			if bytes.Contains(blob, dk) || bytes.Contains(blob, []byte(base64.StdEncoding.EncodeToString(dk))) ||
				bytes.Contains(blob, kek) || bytes.Contains(blob, []byte(base64.StdEncoding.EncodeToString(kek))) {
				t.Fatal("stored bytes contain the data key or the KEK")
			}
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for v := range maps.Values(m) {
		out = append(out, v)
	}
	return out
}

func TestKeyringRotation(t *testing.T) {
	dir := t.TempDir()
	k1, k2 := randBytes(t, 32), randBytes(t, 32)
	old := newCustom(t, writeKeyring(t, dir, "k1", map[string][]byte{"k1": k1}, 0o600), "")
	s1 := encode(t, old, []byte("written under k1"))

	rotated := newCustom(t, writeKeyring(t, dir, "k2", map[string][]byte{"k1": k1, "k2": k2}, 0o400), "")
	if got, err := decode(rotated, s1, 0, -1); err != nil || string(got) != "written under k1" {
		t.Fatalf("old object after rotation: %q, %v", got, err)
	}
	s2 := encode(t, rotated, []byte("written under k2"))
	if s2.head.Metadata[MetaMatDesc] != `{"keyring-key":"k2"}` {
		t.Fatalf("new object matdesc %s", s2.head.Metadata[MetaMatDesc])
	}
	if _, err := decode(old, s2, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("k2 object with a keyring lacking k2: %v, want ErrKeyMismatch", err)
	}
	// Without a keyring-key entry (as S3EC-Java writes), every KEK is tried.
	s1.head.Metadata = maps.Clone(s1.head.Metadata)
	s1.head.Metadata[MetaMatDesc] = "{}"
	if got, err := decode(rotated, s1, 0, -1); err != nil || string(got) != "written under k1" {
		t.Fatalf("no keyring-key entry: %q, %v", got, err)
	}
	// Any other matdesc fails: it is not authenticated, so only the two
	// known forms are accepted.
	for _, md := range []string{`{"leyring-key":"k1"}`, `{"keyring-key":"k1","x":"y"}`} {
		s1.head.Metadata[MetaMatDesc] = md
		if _, err := decode(rotated, s1, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
			t.Fatalf("matdesc %s: %v", md, err)
		}
	}
	// A lying keyring-key entry fails.
	s1.head.Metadata[MetaMatDesc] = `{"keyring-key":"k2"}`
	if _, err := decode(rotated, s1, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("wrong keyring-key: %v", err)
	}
	// Tampered wrapped key.
	s3 := encode(t, rotated, []byte("x"))
	w, _ := base64.StdEncoding.DecodeString(s3.head.Metadata[MetaKeyV2])
	s3.head.Metadata = maps.Clone(s3.head.Metadata)
	s3.head.Metadata[MetaKeyV2] = base64.StdEncoding.EncodeToString(flip(w, 20))
	if _, err := decode(rotated, s3, 0, -1); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Fatalf("tampered wrapped key: %v", err)
	}
	s3.head.Metadata[MetaKeyV2] = base64.StdEncoding.EncodeToString(w[:20])
	if _, err := decode(rotated, s3, 0, -1); !errors.Is(err, errs.ErrIntegrity) {
		t.Fatalf("short wrapped key: %v", err)
	}
}

func TestKeyringFileErrors(t *testing.T) {
	dir := t.TempDir()
	good := map[string][]byte{"a": randBytes(t, 32)}
	loose := writeKeyring(t, dir, "a", good, 0o644)
	_, err := NewKeyringFile(loose)
	if err == nil || !strings.Contains(err.Error(), loose) || !strings.Contains(err.Error(), "0600") {
		t.Fatalf("0644 keyring: %v (want an error naming the file and 0600)", err)
	}
	for name, body := range map[string]string{
		"not json":      "{",
		"no keys":       `{"current":"a","keys":{}}`,
		"no current":    `{"keys":{"a":"` + base64.StdEncoding.EncodeToString(good["a"]) + `"}}`,
		"bad current":   `{"current":"b","keys":{"a":"` + base64.StdEncoding.EncodeToString(good["a"]) + `"}}`,
		"short key":     `{"current":"a","keys":{"a":"AAAA"}}`,
		"bad base64":    `{"current":"a","keys":{"a":"***"}}`,
		"empty keyname": `{"current":"a","keys":{"a":"` + base64.StdEncoding.EncodeToString(good["a"]) + `","":"` + base64.StdEncoding.EncodeToString(good["a"]) + `"}}`,
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_"))
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := NewKeyringFile(path)
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		if strings.Contains(err.Error(), base64.StdEncoding.EncodeToString(good["a"])) {
			t.Errorf("%s: error leaks the key: %v", name, err)
		}
	}
	if _, err := NewKeyringFile(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := NewKeyringFile(dir); err == nil {
		t.Error("directory accepted as keyring file")
	}
}

func TestNewMaterials(t *testing.T) {
	if got := MaterialsNames(); len(got) != 1 || got[0] != KeyringFileName {
		t.Fatalf("MaterialsNames = %v", got)
	}
	path := writeKeyring(t, t.TempDir(), "a", map[string][]byte{"a": randBytes(t, 32)}, 0o600)
	if _, err := NewMaterials("com.example.MyProvider", nil); err == nil || !strings.Contains(err.Error(), KeyringFileName) {
		t.Errorf("unknown name: %v", err)
	}
	if _, err := NewMaterials(KeyringFileName, nil); err == nil {
		t.Error("missing keyring.file accepted")
	}
	if _, err := NewMaterials(KeyringFileName, map[string]string{"keyring.file": path, "keyring.fiel": "x"}); err == nil {
		t.Error("unknown argument accepted")
	}
	m, err := NewMaterials(KeyringFileName, map[string]string{"keyring.file": path})
	if err != nil || m.Name() != KeyringFileName {
		t.Fatalf("%v %v", m, err)
	}
	if _, err := NewCustom(CustomOptions{}); err == nil {
		t.Error("NewCustom without materials accepted")
	}
	if _, err := NewCustom(CustomOptions{Materials: m, StorageMode: "x"}); err == nil {
		t.Error("bad storage mode accepted")
	}
}

// TestProvidersRefuseEachOther: cse-kms does not try to read keyring objects
// and cse-custom does not try to read KMS objects; neither calls out.
func TestProvidersRefuseEachOther(t *testing.T) {
	path := writeKeyring(t, t.TempDir(), "a", map[string][]byte{"a": randBytes(t, 32)}, 0o600)
	custom := newCustom(t, path, "")
	f := newFakeKMS(t)
	kmsP := newKMSProvider(t, f, "", "")
	sc := encode(t, custom, []byte("custom"))
	if _, err := decode(kmsP, sc, 0, -1); !errors.Is(err, errs.ErrUnsupportedAlgorithm) {
		t.Fatalf("cse-kms reading a keyring object: %v", err)
	}
	if _, d := f.calls(); d != 0 {
		t.Fatal("KMS called for a keyring object")
	}
	sk := encode(t, kmsP, []byte("kms"))
	if _, err := decode(custom, sk, 0, -1); !errors.Is(err, errs.ErrUnsupportedAlgorithm) {
		t.Fatalf("cse-custom reading a KMS object: %v", err)
	}
}

// badMaterials returns an envelope the reader would refuse.
type badMaterials struct{ wrapAlg string }

func (badMaterials) Name() string { return "bad" }
func (b badMaterials) Wrap(context.Context, []byte) ([]byte, map[string]string, string, error) {
	return []byte("wrapped"), map[string]string{"a": "b"}, b.wrapAlg, nil
}
func (badMaterials) Unwrap(context.Context, []byte, map[string]string, string) ([]byte, error) {
	return nil, errs.ErrKeyMismatch
}

func TestCustomRefusesUnreadableEnvelope(t *testing.T) {
	for _, w := range []string{"kms+context", "kms", "unknown-wrap", ""} {
		p, err := NewCustom(CustomOptions{Materials: badMaterials{w}})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.Encode(context.Background(), testObj, &bytes.Buffer{}); err == nil {
			t.Errorf("wrap %q: Encode accepted an envelope it could not read back", w)
		}
	}
	p, err := NewCustom(CustomOptions{Materials: badMaterials{WrapAESGCM}, Rand: errReader{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Encode(context.Background(), testObj, &bytes.Buffer{}); err == nil {
		t.Error("Encode without randomness succeeded")
	}
}
