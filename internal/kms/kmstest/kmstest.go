package kmstest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms"
)

// KeyRef names one key three ways.
type KeyRef struct {
	ID    string // bare key id (UUID)
	ARN   string
	Alias string // "alias/..."
}

// Harness connects the suite to one implementation.
type Harness struct {
	KMS kms.Service
	// NewKey creates a fresh enabled symmetric key with a unique alias.
	NewKey func(t *testing.T) KeyRef
	// Disable disables a key through the implementation's own admin API.
	Disable func(t *testing.T, k KeyRef)
	// MissingAlias is an alias name that does not exist ("alias/...").
	MissingAlias string
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Run runs the suite. newHarness is called once.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	h := newHarness(t)
	key := h.NewKey(t)
	other := h.NewKey(t)
	encCtx := map[string]string{"kms_cmk_id": key.ARN, "aws:s3:arn": "arn:aws:s3:::bucket/dir/object"}

	t.Run("GenerateDecryptRoundTrip", func(t *testing.T) {
		ctx := ctxTimeout(t)
		pt, wrapped, err := h.KMS.GenerateDataKey(ctx, key.Alias, encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		if len(pt) != kms.DataKeySize {
			t.Fatalf("plaintext is %d bytes, want %d", len(pt), kms.DataKeySize)
		}
		if len(wrapped) <= kms.DataKeySize {
			t.Fatalf("wrapped key is only %d bytes", len(wrapped))
		}
		if bytes.Contains(wrapped, pt) {
			t.Fatal("wrapped key contains the plaintext key")
		}
		for _, id := range []string{key.ARN, key.ID, key.Alias} {
			got, err := h.KMS.Decrypt(ctx, id, wrapped, encCtx)
			if err != nil {
				t.Fatalf("Decrypt(keyID=%q): %v", id, err)
			}
			if !bytes.Equal(got, pt) {
				t.Fatalf("Decrypt(keyID=%q) returned a different key", id)
			}
		}
		pt2, wrapped2, err := h.KMS.GenerateDataKey(ctx, key.ARN, encCtx)
		if err != nil {
			t.Fatalf("second GenerateDataKey: %v", err)
		}
		if bytes.Equal(pt, pt2) || bytes.Equal(wrapped, wrapped2) {
			t.Fatal("two GenerateDataKey calls returned the same key")
		}
	})

	t.Run("DecryptWithoutKeyID", func(t *testing.T) {
		ctx := ctxTimeout(t)
		pt, wrapped, err := h.KMS.GenerateDataKey(ctx, key.ID, encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		got, err := h.KMS.Decrypt(ctx, "", wrapped, encCtx)
		if err != nil {
			t.Fatalf("Decrypt without key id: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatal("Decrypt without key id returned a different key")
		}
		if d, ok := h.KMS.(kms.ARNDecrypter); ok {
			_, arn, err := d.DecryptARN(ctx, "", wrapped, encCtx)
			if err != nil {
				t.Fatalf("DecryptARN: %v", err)
			}
			if arn != key.ARN {
				t.Fatalf("DecryptARN reported key %q, want %q", arn, key.ARN)
			}
		}
	})

	t.Run("NoContext", func(t *testing.T) {
		ctx := ctxTimeout(t)
		pt, wrapped, err := h.KMS.GenerateDataKey(ctx, key.ARN, nil)
		if err != nil {
			t.Fatalf("GenerateDataKey without context: %v", err)
		}
		got, err := h.KMS.Decrypt(ctx, key.ARN, wrapped, nil)
		if err != nil {
			t.Fatalf("Decrypt without context: %v", err)
		}
		if !bytes.Equal(got, pt) {
			t.Fatal("Decrypt without context returned a different key")
		}
		_, err = h.KMS.Decrypt(ctx, key.ARN, wrapped, map[string]string{"k": "v"})
		if !errors.Is(err, errs.ErrKeyMismatch) {
			t.Fatalf("Decrypt with a context of a blob made without one: err = %v, want ErrKeyMismatch", err)
		}
	})

	t.Run("ContextMismatch", func(t *testing.T) {
		ctx := ctxTimeout(t)
		pt, wrapped, err := h.KMS.GenerateDataKey(ctx, key.ARN, encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		cases := map[string]map[string]string{
			"different value": {"kms_cmk_id": other.ARN, "aws:s3:arn": encCtx["aws:s3:arn"]},
			"different name":  {"kms_cmk_id": key.ARN, "aws:s3:arn2": encCtx["aws:s3:arn"]},
			"missing":         nil,
			"empty":           {},
			"subset":          {"kms_cmk_id": key.ARN},
			"superset":        {"kms_cmk_id": key.ARN, "aws:s3:arn": encCtx["aws:s3:arn"], "extra": "x"},
		}
		for name, c := range cases {
			got, err := h.KMS.Decrypt(ctx, key.ARN, wrapped, c)
			if !errors.Is(err, errs.ErrKeyMismatch) {
				t.Errorf("%s context: err = %v, want ErrKeyMismatch", name, err)
			}
			if got != nil {
				t.Errorf("%s context: returned %d key bytes with the error", name, len(got))
			}
			if err != nil {
				assertNoKeyMaterial(t, err.Error(), pt, wrapped)
			}
			if _, err := h.KMS.Decrypt(ctx, "", wrapped, c); !errors.Is(err, errs.ErrKeyMismatch) {
				t.Errorf("%s context, no key id: err = %v, want ErrKeyMismatch", name, err)
			}
		}
	})

	t.Run("TamperedBlob", func(t *testing.T) {
		ctx := ctxTimeout(t)
		pt, wrapped, err := h.KMS.GenerateDataKey(ctx, key.ARN, encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		// Blob formats differ (local-kms puts the key ARN in clear at the
		// front); flip bytes in the sealed tail, which every format has.
		for _, off := range []int{len(wrapped) - 1, len(wrapped) - 17, len(wrapped) - 40} {
			bad := bytes.Clone(wrapped)
			bad[off] ^= 0x01
			got, err := h.KMS.Decrypt(ctx, key.ARN, bad, encCtx)
			if !errors.Is(err, errs.ErrKeyMismatch) {
				t.Errorf("flipped byte %d of %d: err = %v, want ErrKeyMismatch", off, len(wrapped), err)
			}
			if got != nil {
				t.Errorf("flipped byte %d: returned key bytes with the error", off)
			}
			if err != nil {
				assertNoKeyMaterial(t, err.Error(), pt, wrapped)
			}
		}
		if _, err := h.KMS.Decrypt(ctx, key.ARN, wrapped[:len(wrapped)-1], encCtx); !errors.Is(err, errs.ErrKeyMismatch) {
			t.Errorf("truncated blob: err = %v, want ErrKeyMismatch", err)
		}
		if _, err := h.KMS.Decrypt(ctx, key.ARN, []byte("not a wrapped key at all"), encCtx); !errors.Is(err, errs.ErrKeyMismatch) {
			t.Errorf("garbage blob: err = %v, want ErrKeyMismatch", err)
		}
	})

	t.Run("WrongKeyID", func(t *testing.T) {
		ctx := ctxTimeout(t)
		_, wrapped, err := h.KMS.GenerateDataKey(ctx, key.ARN, encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		if _, err := h.KMS.Decrypt(ctx, other.ARN, wrapped, encCtx); !errors.Is(err, errs.ErrKeyMismatch) {
			t.Errorf("Decrypt under another key: err = %v, want ErrKeyMismatch", err)
		}
	})

	t.Run("DescribeKey", func(t *testing.T) {
		ctx := ctxTimeout(t)
		for _, id := range []string{key.Alias, key.ID, key.ARN} {
			info, err := h.KMS.DescribeKey(ctx, id)
			if err != nil {
				t.Fatalf("DescribeKey(%q): %v", id, err)
			}
			want := kms.KeyInfo{ARN: key.ARN, KeySpec: kms.KeySpecSymmetricDefault, KeyUsage: kms.KeyUsageEncryptDecrypt, State: kms.KeyStateEnabled}
			if info != want {
				t.Errorf("DescribeKey(%q) = %+v, want %+v", id, info, want)
			}
		}
	})

	t.Run("MissingKey", func(t *testing.T) {
		ctx := ctxTimeout(t)
		if _, err := h.KMS.DescribeKey(ctx, h.MissingAlias); !errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("DescribeKey(missing alias): err = %v, want ErrKeyUnavailable", err)
		}
		pt, wrapped, err := h.KMS.GenerateDataKey(ctx, h.MissingAlias, encCtx)
		if !errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("GenerateDataKey(missing alias): err = %v, want ErrKeyUnavailable", err)
		}
		if pt != nil || wrapped != nil {
			t.Error("GenerateDataKey(missing alias) returned key bytes")
		}
		missingARN := key.ARN[:strings.LastIndex(key.ARN, "/")+1] + "00000000-0000-4000-8000-000000000000"
		if _, err := h.KMS.DescribeKey(ctx, missingARN); !errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("DescribeKey(missing ARN): err = %v, want ErrKeyUnavailable", err)
		}
	})

	t.Run("DisabledKey", func(t *testing.T) {
		ctx := ctxTimeout(t)
		k := h.NewKey(t)
		_, wrapped, err := h.KMS.GenerateDataKey(ctx, k.ARN, encCtx)
		if err != nil {
			t.Fatalf("GenerateDataKey: %v", err)
		}
		h.Disable(t, k)
		if _, _, err := h.KMS.GenerateDataKey(ctx, k.ARN, encCtx); !errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("GenerateDataKey(disabled): err = %v, want ErrKeyUnavailable", err)
		}
		if _, err := h.KMS.Decrypt(ctx, k.ARN, wrapped, encCtx); !errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("Decrypt(disabled, key id): err = %v, want ErrKeyUnavailable", err)
		}
		if _, err := h.KMS.Decrypt(ctx, "", wrapped, encCtx); !errors.Is(err, errs.ErrKeyUnavailable) {
			t.Errorf("Decrypt(disabled, no key id): err = %v, want ErrKeyUnavailable", err)
		}
		info, err := h.KMS.DescribeKey(ctx, k.Alias)
		if err != nil {
			t.Fatalf("DescribeKey(disabled): %v", err)
		}
		if info.State != kms.KeyStateDisabled || info.ARN != k.ARN {
			t.Errorf("DescribeKey(disabled) = %+v, want state %s and ARN %s", info, kms.KeyStateDisabled, k.ARN)
		}
	})
}

// assertNoKeyMaterial fails when s contains any of the secrets in raw,
// base64 or hex form.
func assertNoKeyMaterial(t *testing.T, s string, secrets ...[]byte) {
	t.Helper()
	for _, f := range Forms(secrets...) {
		if strings.Contains(s, f) {
			t.Fatalf("key material appears in %q", s)
		}
	}
}

// Forms returns the raw, standard/URL base64 and lower/upper hex encodings of
// each secret, for scanning logs and errors.
func Forms(secrets ...[]byte) []string {
	var out []string
	for _, s := range secrets {
		if len(s) == 0 {
			continue
		}
		h := hex.EncodeToString(s)
		out = append(out, string(s), base64.StdEncoding.EncodeToString(s), base64.RawStdEncoding.EncodeToString(s),
			base64.URLEncoding.EncodeToString(s), base64.RawURLEncoding.EncodeToString(s), h, strings.ToUpper(h))
	}
	return out
}
