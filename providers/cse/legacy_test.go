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
	"path/filepath"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
	"github.com/emrfsd/emrfsd/providers"
)

// downgraded returns copies of a 16-byte GCM object (wrap kms, stored 32
// bytes: two AES blocks) whose metadata an attacker with write access to the
// bucket rewrote to claim AES/CBC/PKCS5Padding (the kms wrap does not bind
// x-amz-cek-alg), with the body's first block chosen so that CBC
// decryption of the last block has valid padding (valid) or not (invalid):
// the two probes of a padding oracle.
func downgraded(t *testing.T, f *fakeKMS, s stored) (valid, invalid stored) {
	t.Helper()
	if len(s.src.data) != 32 {
		t.Fatalf("want a 32-byte object, have %d", len(s.src.data))
	}
	f.mu.Lock()
	dk := bytes.Clone(f.copies[len(f.copies)-1])
	f.mu.Unlock()
	b, err := aes.NewCipher(dk)
	if err != nil {
		t.Fatal(err)
	}
	var d [16]byte
	b.Decrypt(d[:], s.src.data[16:]) // D_K(C2); P2 = D_K(C2) xor C1
	forge := func(last byte) stored {
		want := bytes.Repeat([]byte{'A'}, 16)
		want[15] = last
		body := bytes.Clone(s.src.data)
		for i := range 16 {
			body[i] = d[i] ^ want[i]
		}
		md := maps.Clone(s.head.Metadata)
		md[MetaCEKAlg] = CEKAlgCBC
		md[MetaIV] = base64.StdEncoding.EncodeToString(make([]byte, 16))
		delete(md, MetaTagLen)
		return stored{head: providers.Head{Size: 32, Metadata: md}, src: &memSource{data: body}}
	}
	return forge(0x01), forge(0x00)
}

// TestLegacyDowngradeRefused: a GCM object whose metadata is rewritten to
// claim CBC is refused with one generic integrity error, the same for a
// body whose CBC padding would be valid and one whose padding would not,
// before any KMS call or body read: there is no padding oracle.
func TestLegacyDowngradeRefused(t *testing.T) {
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, WrapKMS, "")
	s := encode(t, p, bytes.Repeat([]byte("p"), 16))
	if got, err := decode(p, s, 0, -1); err != nil || len(got) != 16 {
		t.Fatalf("the GCM object itself (kms wrap, what EMRFS writes) must read with legacy reads off: %q, %v", got, err)
	}
	valid, invalid := downgraded(t, f, s)

	// The oracle this closes: with legacy reads on, the two probes are
	// told apart (and the "valid" one even reads cleanly).
	on := newLegacyKMSProvider(t, f, &auditRecorder{})
	fresh := func(s stored) stored { return stored{head: s.head, src: &memSource{data: s.src.data}} }
	_, errValid := decode(on, fresh(valid), 0, -1)
	_, errInvalid := decode(on, fresh(invalid), 0, -1)
	if errValid != nil || !errors.Is(errInvalid, errs.ErrIntegrity) {
		t.Fatalf("control (legacy reads on): valid padding %v, invalid padding %v: the probes should differ", errValid, errInvalid)
	}

	g0, d0 := f.calls()
	var msgs []string
	for name, o := range map[string]stored{"valid padding": valid, "invalid padding": invalid} {
		for _, r := range [][2]int64{{0, -1}, {0, 16}, {16, 5}} {
			_, err := decode(p, o, r[0], r[1])
			if !errors.Is(err, errs.ErrIntegrity) {
				t.Fatalf("%s [%d,+%d): %v, want ErrIntegrity", name, r[0], r[1], err)
			}
			msgs = append(msgs, err.Error())
		}
		_, err := p.PlainSize(context.Background(), testObj, o.head, o.src)
		if !errors.Is(err, errs.ErrIntegrity) {
			t.Fatalf("%s PlainSize: %v", name, err)
		}
		msgs = append(msgs, err.Error())
		if _, err := p.DecodeSegment(context.Background(), testObj, o.head, o.src, 0, 16); !errors.Is(err, errs.ErrIntegrity) {
			t.Fatalf("%s DecodeSegment: %v", name, err)
		}
		if n := o.src.rangeCalls(); n != 0 {
			t.Fatalf("%s: object body read %d times", name, n)
		}
	}
	for _, m := range msgs {
		if m != msgs[0] {
			t.Fatalf("different errors for the probes:\n%s\n%s", msgs[0], m)
		}
	}
	if g, d := f.calls(); g != g0 || d != d0 {
		t.Fatalf("KMS called for a refused legacy envelope (%d generate, %d decrypt)", g-g0, d-d0)
	}
}

// TestLegacyEnvelopesOneError: every legacy form, however else it is
// malformed, gets the same error while legacy reads are off.
func TestLegacyEnvelopesOneError(t *testing.T) {
	f := newFakeKMS(t)
	p := newKMSProvider(t, f, WrapKMS, "")
	s := encode(t, p, []byte("some plaintext"))
	b64 := base64.StdEncoding.EncodeToString
	muts := map[string]func(md map[string]string){
		"cbc, 12-byte iv": func(md map[string]string) { md[MetaCEKAlg] = CEKAlgCBC },
		"cbc lower case":  func(md map[string]string) { md[MetaCEKAlg] = "aes/cbc/pkcs5padding" },
		"cbc with tag":    func(md map[string]string) { md[MetaCEKAlg] = CEKAlgCBC; md[MetaIV] = b64(make([]byte, 16)) },
		"cbc, no key":     func(md map[string]string) { md[MetaCEKAlg] = CEKAlgCBC; delete(md, MetaKeyV2) },
		"v1 header":       func(md map[string]string) { md[MetaKeyV1] = md[MetaKeyV2]; delete(md, MetaKeyV2) },
		"v1 and v2":       func(md map[string]string) { md[MetaKeyV1] = md[MetaKeyV2] },
		"aeswrap":         func(md map[string]string) { md[MetaWrapAlg] = "AESWrap" },
		"rsa":             func(md map[string]string) { md[MetaWrapAlg] = "RSA" },
		"rsa-oaep-256":    func(md map[string]string) { md[MetaWrapAlg] = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding" },
	}
	for name, mut := range muts {
		md := maps.Clone(s.head.Metadata)
		mut(md)
		o := stored{head: providers.Head{Size: s.head.Size, Metadata: md}, src: &memSource{data: s.src.data}}
		_, err := decode(p, o, 0, -1)
		if err != errLegacyRefused {
			t.Errorf("%s: %v, want the one legacy error", name, err)
		}
	}
	// The same through an instruction file.
	pi := newKMSProvider(t, f, WrapKMS, StorageInstructionFile)
	si := encode(t, pi, []byte("some plaintext"))
	var raw map[string]string
	if err := json.Unmarshal(si.src.instr, &raw); err != nil {
		t.Fatal(err)
	}
	raw[MetaCEKAlg] = CEKAlgCBC
	si.src.instr, _ = json.Marshal(raw)
	if _, err := decode(pi, si, 0, -1); err != errLegacyRefused {
		t.Errorf("instruction file claiming CBC: %v, want the one legacy error", err)
	}
	if _, d := f.calls(); d != 0 {
		t.Fatalf("%d KMS Decrypt calls for refused legacy envelopes", d)
	}
}

// TestLegacyCBCReadOnlyWhenEnabled: a genuine legacy CBC object (V1 header,
// and V2 header with CBC content) is refused by default and read with
// legacy reads on, each read recorded with the object and its algorithms.
func TestLegacyCBCReadOnlyWhenEnabled(t *testing.T) {
	for _, o := range []v1Opts{{withCEK: true}, {withCEK: true, v2Key: true, withLen: true}, {}} {
		f := newFakeKMS(t)
		plain := randBytes(t, 100)
		s := v1Object(t, f, plain, o)
		off := newKMSProvider(t, f, "", "")
		_, d0 := f.calls()
		if _, err := decode(off, s, 0, -1); err != errLegacyRefused {
			t.Fatalf("%+v, legacy reads off: %v, want the legacy error", o, err)
		}
		if _, err := off.PlainSize(context.Background(), testObj, s.head, s.src); err != errLegacyRefused {
			t.Fatalf("%+v, legacy reads off: PlainSize: %v", o, err)
		}
		if _, d := f.calls(); d != d0 || s.src.rangeCalls() != 0 {
			t.Fatalf("%+v: refused object cost %d KMS calls and %d reads", o, d-d0, s.src.rangeCalls())
		}

		rec := &auditRecorder{}
		on := newLegacyKMSProvider(t, f, rec)
		got, err := decode(on, s, 0, -1)
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("%+v, legacy reads on: %v", o, err)
		}
		if _, err := decode(on, s, 20, 30); err != nil {
			t.Fatal(err)
		}
		want := legacyRead{testObj.Bucket, testObj.Key, CEKAlgCBC, WrapKMS}
		if r := rec.all(); len(r) != 2 || r[0] != want || r[1] != want {
			t.Fatalf("%+v: audit records %+v, want two of %+v", o, r, want)
		}
	}
}

// TestLegacyReadNotRecordedRefused: a legacy read that cannot be recorded
// does not happen.
func TestLegacyReadNotRecordedRefused(t *testing.T) {
	f := newFakeKMS(t)
	s := v1Object(t, f, []byte("legacy"), v1Opts{withCEK: true})
	p := newLegacyKMSProvider(t, f, &auditRecorder{err: errors.New("disk full")})
	_, d0 := f.calls()
	if got, err := decode(p, s, 0, -1); err == nil || len(got) != 0 {
		t.Fatalf("unrecorded legacy read: %q, %v", got, err)
	}
	if _, d := f.calls(); d != d0 {
		t.Fatal("KMS called for an unrecorded legacy read")
	}
}

func TestLegacyReadNeedsAudit(t *testing.T) {
	f := newFakeKMS(t)
	if _, err := NewKMS(KMSOptions{KMS: f, KeyID: "alias/test", KeyARN: fakeARN, LegacyRead: true}); err == nil {
		t.Error("cse-kms: legacy reads without an audit log accepted")
	}
	if _, err := NewCustom(CustomOptions{Materials: badMaterials{WrapAESGCM}, LegacyRead: true}); err == nil {
		t.Error("cse-custom: legacy reads without an audit log accepted")
	}
}

// TestLegacyReadAuditLog: the daemon's audit log records a legacy read as
// one LegacyRead line naming the object and the algorithms.
func TestLegacyReadAuditLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.log")
	log, err := kms.OpenAuditLog(path)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	f := newFakeKMS(t)
	s := v1Object(t, f, []byte("legacy bytes"), v1Opts{withCEK: true, withLen: true})
	p := newLegacyKMSProvider(t, f, log)
	if got, err := decode(p, s, 0, -1); err != nil || string(got) != "legacy bytes" {
		t.Fatalf("%q, %v", got, err)
	}
	recs, err := kms.ReadAudit(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
	r := recs[0]
	if r.Op != kms.OpLegacyRead || r.Bucket != testObj.Bucket || r.Key != testObj.Key || r.Algorithm != CEKAlgCBC ||
		r.Wrap != WrapKMS || r.Outcome != "ok" || r.Context[kmsCMKIDKey] != fakeARN {
		t.Fatalf("record %+v", r)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, _ := json.Marshal(recs)
	for _, k := range f.copies {
		if bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString(k))) {
			t.Fatal("audit log holds a data key")
		}
	}
}

// legacyWrapMaterials claims to read the legacy AESWrap wrap (it returns
// a fixed key), to check cse-custom's gate.
type legacyWrapMaterials struct{ key []byte }

func (legacyWrapMaterials) Name() string { return "legacy" }
func (legacyWrapMaterials) Wrap(context.Context, []byte) ([]byte, map[string]string, string, error) {
	return []byte("w"), nil, "AESWrap", nil
}
func (m legacyWrapMaterials) Unwrap(context.Context, []byte, map[string]string, string) ([]byte, error) {
	return bytes.Clone(m.key), nil
}

// TestCustomLegacyWrap: cse-custom refuses an object with a legacy key wrap
// unless legacy reads are on, and never writes one.
func TestCustomLegacyWrap(t *testing.T) {
	key := randBytes(t, 32)
	m := legacyWrapMaterials{key: key}
	plain := []byte("wrapped the old way")
	iv := randBytes(t, 12)
	b, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		t.Fatal(err)
	}
	body := g.Seal(nil, iv, plain, nil)
	b64 := base64.StdEncoding.EncodeToString
	s := stored{head: providers.Head{Size: int64(len(body)), Metadata: map[string]string{
		MetaKeyV2: b64([]byte("w")), MetaIV: b64(iv), MetaMatDesc: "{}", MetaWrapAlg: "AESWrap",
		MetaCEKAlg: CEKAlgGCM, MetaTagLen: "128",
	}}, src: &memSource{data: body}}

	off, err := NewCustom(CustomOptions{Materials: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := decode(off, s, 0, -1); err != errLegacyRefused {
		t.Fatalf("legacy wrap, legacy reads off: %v", err)
	}
	rec := &auditRecorder{}
	on, err := NewCustom(CustomOptions{Materials: m, LegacyRead: true, Audit: rec})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := decode(on, s, 0, -1); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("legacy wrap, legacy reads on: %q, %v", got, err)
	}
	if r := rec.all(); len(r) != 1 || r[0].wrapAlg != "AESWrap" || r[0].cekAlg != CEKAlgGCM {
		t.Fatalf("audit records %+v", r)
	}
	if _, _, err := on.Encode(context.Background(), testObj, &bytes.Buffer{}); !errors.Is(err, errs.ErrUnsupportedAlgorithm) {
		t.Fatalf("Encode with a legacy wrap: %v, want a refusal", err)
	}
}
