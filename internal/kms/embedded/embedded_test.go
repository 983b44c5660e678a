package embedded_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emrfsd/emrfsd/internal/errs"
	"github.com/emrfsd/emrfsd/internal/kms/embedded"
	"github.com/emrfsd/emrfsd/internal/kms/kmstest"
)

const (
	region  = "us-east-1"
	account = "111122223333"
)

func open(t *testing.T, dir string) *embedded.KMS {
	t.Helper()
	k, err := embedded.Open(dir, region, account)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

func TestSuite(t *testing.T) {
	kmstest.Run(t, func(t *testing.T) kmstest.Harness {
		k := open(t, t.TempDir())
		n := 0
		return kmstest.Harness{
			KMS: k,
			NewKey: func(t *testing.T) kmstest.KeyRef {
				n++
				alias := "alias/suite-key-" + string(rune('a'+n))
				arn, err := k.CreateKey(alias)
				if err != nil {
					t.Fatalf("CreateKey: %v", err)
				}
				info, err := k.DescribeKey(t.Context(), alias)
				if err != nil {
					t.Fatal(err)
				}
				if info.ARN != arn {
					t.Fatalf("DescribeKey ARN %q, CreateKey ARN %q", info.ARN, arn)
				}
				return kmstest.KeyRef{ID: arn[len(arn)-36:], ARN: arn, Alias: alias}
			},
			Disable: func(t *testing.T, r kmstest.KeyRef) {
				if err := k.DisableKey(r.ID); err != nil {
					t.Fatalf("DisableKey: %v", err)
				}
			},
			MissingAlias: "alias/does-not-exist",
		}
	})
}

func TestReopenKeepsKeys(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	encCtx := map[string]string{"kms_cmk_id": "x"}
	k1, err := embedded.Open(dir, region, account)
	if err != nil {
		t.Fatal(err)
	}
	arn, err := k1.EnsureKey("emrfsd-default")
	if err != nil {
		t.Fatal(err)
	}
	again, err := k1.EnsureKey("alias/emrfsd-default")
	if err != nil || again != arn {
		t.Fatalf("EnsureKey again = %q, %v; want %q", again, err, arn)
	}
	pt, wrapped, err := k1.GenerateDataKey(ctx, "alias/emrfsd-default", encCtx)
	if err != nil {
		t.Fatal(err)
	}
	if err := k1.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := k1.Decrypt(ctx, "", wrapped, encCtx); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("Decrypt after Close: err = %v, want ErrKeyUnavailable", err)
	}

	k2 := open(t, dir)
	got, err := k2.Decrypt(ctx, "", wrapped, encCtx)
	if err != nil {
		t.Fatalf("Decrypt after reopen: %v", err)
	}
	if !bytes.Equal(got, pt) {
		t.Fatal("Decrypt after reopen returned a different key")
	}
	third, err := k2.EnsureKey("emrfsd-default")
	if err != nil || third != arn {
		t.Fatalf("EnsureKey after reopen = %q, %v; want %q", third, err, arn)
	}
	if !strings.HasPrefix(arn, "arn:aws:kms:us-east-1:111122223333:key/") {
		t.Fatalf("ARN %q has the wrong form", arn)
	}

	// A disabled state survives reopening too.
	if err := k2.DisableKey(arn); err != nil {
		t.Fatal(err)
	}
	k2.Close()
	k3 := open(t, dir)
	if _, err := k3.Decrypt(ctx, "", wrapped, encCtx); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Fatalf("Decrypt with key disabled before reopen: err = %v, want ErrKeyUnavailable", err)
	}
	if err := k3.EnableKey("alias/emrfsd-default"); err != nil {
		t.Fatal(err)
	}
	if _, err := k3.Decrypt(ctx, "", wrapped, encCtx); err != nil {
		t.Fatalf("Decrypt after EnableKey: %v", err)
	}
}

func TestStorePermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "kms")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	k := open(t, dir)
	if _, err := k.CreateKey("perm"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("key store dir mode %v, want 0700", st.Mode().Perm())
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 1 || ents[0].Name() != "keys.json" {
		t.Fatalf("key store dir holds %v, want just keys.json", ents)
	}
	fi, err := ents[0].Info()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("keys.json mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestOpenRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	k := open(t, dir)
	if _, err := k.CreateKey("x"); err != nil {
		t.Fatal(err)
	}
	k.Close()
	if _, err := embedded.Open(dir, "eu-west-1", account); err == nil {
		t.Error("Open with another region succeeded")
	}
	if _, err := embedded.Open(dir, region, "999999999999"); err == nil {
		t.Error("Open with another account succeeded")
	}
	if _, err := embedded.Open(t.TempDir(), region, "12"); err == nil {
		t.Error("Open with a malformed account succeeded")
	}
	if _, err := embedded.Open("", region, account); err == nil {
		t.Error("Open with no dir succeeded")
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "keys.json"), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := embedded.Open(bad, region, account); err == nil {
		t.Error("Open of a corrupt key store succeeded")
	}
}

func TestAliases(t *testing.T) {
	k := open(t, t.TempDir())
	ctx := t.Context()
	arn, err := k.CreateKey("team/data")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateKey("alias/team/data"); err == nil {
		t.Error("CreateKey with an existing alias succeeded")
	}
	for _, bad := range []string{"aws/s3", "alias/aws/ebs", "has space", "alias/"} {
		if _, err := k.CreateKey(bad); err == nil {
			t.Errorf("CreateKey(%q) succeeded", bad)
		}
	}
	aliasARN := "arn:aws:kms:us-east-1:111122223333:alias/team/data"
	info, err := k.DescribeKey(ctx, aliasARN)
	if err != nil || info.ARN != arn || info.AWSManaged {
		t.Fatalf("DescribeKey(alias ARN) = %+v, %v; want ARN %s, customer managed", info, err, arn)
	}
	if _, err := k.DescribeKey(ctx, "alias/aws/s3"); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Errorf("DescribeKey(alias/aws/s3): err = %v, want ErrKeyUnavailable", err)
	}
	if _, err := k.DescribeKey(ctx, "not-a-key-id"); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Errorf("DescribeKey(malformed): err = %v, want ErrKeyUnavailable", err)
	}
	other := strings.Replace(arn, "us-east-1", "eu-west-1", 1)
	if _, err := k.DescribeKey(ctx, other); !errors.Is(err, errs.ErrKeyUnavailable) {
		t.Errorf("DescribeKey(ARN of another region): err = %v, want ErrKeyUnavailable", err)
	}
}

// TestBlobFromAnotherStore: a blob wrapped by a different key store (same
// key id format, unknown key) does not decrypt.
func TestBlobFromAnotherStore(t *testing.T) {
	a, b := open(t, t.TempDir()), open(t, t.TempDir())
	if _, err := a.CreateKey("k"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.CreateKey("k"); err != nil {
		t.Fatal(err)
	}
	_, wrapped, err := a.GenerateDataKey(t.Context(), "alias/k", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Decrypt(t.Context(), "", wrapped, nil); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Errorf("no key id: err = %v, want ErrKeyMismatch", err)
	}
	if _, err := b.Decrypt(t.Context(), "alias/k", wrapped, nil); !errors.Is(err, errs.ErrKeyMismatch) {
		t.Errorf("with key id: err = %v, want ErrKeyMismatch", err)
	}
}
